package booster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Fetch errors, by what failed; the metrics count them by these reasons.
var (
	ErrNetwork  = errors.New("network error")
	ErrHTTP     = errors.New("HTTP error")
	ErrTooLarge = errors.New("feed larger than the cap")
)

// validators are what a server said about the last body it sent, for a conditional GET
// (RFC 9110 §13.1.1 If-None-Match, §13.1.3 If-Modified-Since).
type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// fetchResult is one fetch: the body when the feed changed, or NotModified.
type fetchResult struct {
	Body        []byte
	NotModified bool
	Validators  validators // to send next time
}

// fetcher does conditional GETs with a size cap.
type fetcher struct {
	client   *http.Client
	maxBytes int64
	agent    string
}

// fetch GETs url, sending the validators of the last body. A 304 gives NotModified and keeps
// the old validators. Any other status than 200, a body over the cap, and any transport
// error are errors wrapping ErrHTTP, ErrTooLarge or ErrNetwork.
func (f *fetcher) fetch(ctx context.Context, url string, last validators) (fetchResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: %v", ErrNetwork, err)
	}
	req.Header.Set("User-Agent", f.agent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1")
	if last.ETag != "" {
		req.Header.Set("If-None-Match", last.ETag)
	}
	if last.LastModified != "" {
		req.Header.Set("If-Modified-Since", last.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: %v", ErrNetwork, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
		return fetchResult{NotModified: true, Validators: last}, nil
	default:
		return fetchResult{}, fmt.Errorf("%w: %s", ErrHTTP, resp.Status)
	}
	if resp.ContentLength > f.maxBytes {
		return fetchResult{}, fmt.Errorf("%w: Content-Length %d, cap %d bytes", ErrTooLarge, resp.ContentLength, f.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return fetchResult{}, fmt.Errorf("%w: reading the body: %v", ErrNetwork, err)
	}
	if int64(len(body)) > f.maxBytes {
		return fetchResult{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.maxBytes)
	}
	return fetchResult{Body: body, Validators: validators{
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
	}}, nil
}
