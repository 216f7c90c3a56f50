package booster

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchConditional: the second fetch sends the ETag and Last-Modified of the first as
// If-None-Match and If-Modified-Since, and a 304 answer is NotModified with the validators
// kept; a changed feed comes back whole with new validators.
func TestFetchConditional(t *testing.T) {
	var version atomic.Int32
	version.Store(1)
	var conditional atomic.Int32
	lastMod := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := `"v` + itoa(int(version.Load())) + `"`
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			conditional.Add(1)
			if r.Header.Get("If-Modified-Since") != lastMod {
				t.Errorf("If-Modified-Since = %q, want %q", r.Header.Get("If-Modified-Since"), lastMod)
			}
			if inm == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Write([]byte("body " + etag))
	}))
	defer srv.Close()
	f := &fetcher{client: srv.Client(), maxBytes: 1 << 20, agent: "test"}
	ctx := context.Background()

	r1, err := f.fetch(ctx, srv.URL, validators{})
	if err != nil || r1.NotModified || string(r1.Body) != `body "v1"` || r1.Validators.ETag != `"v1"` || r1.Validators.LastModified != lastMod {
		t.Fatalf("first fetch = %+v, %v", r1, err)
	}
	r2, err := f.fetch(ctx, srv.URL, r1.Validators)
	if err != nil || !r2.NotModified || r2.Body != nil || r2.Validators != r1.Validators {
		t.Fatalf("unchanged fetch = %+v, %v; want NotModified with the same validators", r2, err)
	}
	version.Store(2)
	r3, err := f.fetch(ctx, srv.URL, r2.Validators)
	if err != nil || r3.NotModified || string(r3.Body) != `body "v2"` || r3.Validators.ETag != `"v2"` {
		t.Fatalf("changed fetch = %+v, %v", r3, err)
	}
	if n := conditional.Load(); n != 2 {
		t.Fatalf("%d conditional requests, want 2", n)
	}
}

// TestFetchErrors: HTTP errors, bodies over the cap (with and without Content-Length) and
// transport failures are errors of the right kind.
func TestFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/404":
			http.NotFound(w, r)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "/big-chunked":
			w.(http.Flusher).Flush() // no Content-Length
			for range 20 {
				w.Write([]byte(strings.Repeat("x", 100)))
				w.(http.Flusher).Flush()
			}
		}
	}))
	f := &fetcher{client: srv.Client(), maxBytes: 1000, agent: "test"}
	for path, want := range map[string]error{"/500": ErrHTTP, "/404": ErrHTTP, "/big": ErrTooLarge, "/big-chunked": ErrTooLarge} {
		if _, err := f.fetch(context.Background(), srv.URL+path, validators{}); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", path, err, want)
		}
	}
	url := srv.URL
	srv.Close()
	if _, err := f.fetch(context.Background(), url, validators{}); !errors.Is(err, ErrNetwork) {
		t.Errorf("closed server: err = %v, want ErrNetwork", err)
	}
	if _, err := f.fetch(context.Background(), "::not a url", validators{}); !errors.Is(err, ErrNetwork) {
		t.Errorf("bad URL: err = %v, want ErrNetwork", err)
	}
}

func TestBackoff(t *testing.T) {
	min, max := 5*time.Second, time.Minute
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := backoff(i+1, min, max); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(0, min, max); got != min {
		t.Errorf("backoff(0) = %v", got)
	}
	if got := backoff(1000, min, max); got != max {
		t.Errorf("backoff(1000) = %v, want the cap (no overflow)", got)
	}
}
