package httpgw

import (
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// contentRequest is what a content path and its query say.
type contentRequest struct {
	id       swarms.ID
	fileName string // the path's optional /FILENAME, for the Content-Type
	mimeType string // ?mt=
	// What to start the swarm with if the daemon does not hold it.
	chunkSize int    // 0: the manager's default
	size      int64  // -1: unknown
	hash      string // "": the manager's default
	peers     []string
}

// parseContentRequest reads libswift's path form, SWARMHEX[$CHUNKSIZE][/FILENAME], and the
// query keys the gateway uses. Errors are the client's: the caller answers 400.
func parseContentRequest(path string, query string) (contentRequest, error) {
	req := contentRequest{size: -1}
	idPart, fileName, _ := strings.Cut(path, "/")
	req.fileName = fileName
	if hexID, cs, ok := strings.Cut(idPart, "$"); ok {
		n, err := strconv.ParseUint(cs, 10, 31)
		if err != nil || n == 0 {
			return req, fmt.Errorf("chunk size %q after $: want a positive number", cs)
		}
		if err := hashtree.CheckChunkSize(n); err != nil {
			return req, fmt.Errorf("chunk size after $: %w", err)
		}
		req.chunkSize, idPart = int(n), hexID
	}
	if idPart == "" {
		return req, fmt.Errorf("no swarm ID: the path must be /SWARMHEX")
	}
	if len(idPart) > 2*swarmurl.MaxSwarmIDLen {
		return req, fmt.Errorf("swarm ID of %d hex digits is too long (at most %d)", len(idPart), 2*swarmurl.MaxSwarmIDLen)
	}
	id, err := swarms.ParseID(idPart)
	if err != nil {
		return req, err
	}
	req.id = id
	vals, err := url.ParseQuery(query)
	if err != nil {
		return req, fmt.Errorf("query: %w", err)
	}
	return req, req.applyQuery(vals)
}

func (req *contentRequest) applyQuery(vals url.Values) error {
	if v := vals.Get("cs"); v != "" {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil || n == 0 {
			return fmt.Errorf("cs=%q: want a chunk size in bytes", v)
		}
		if err := hashtree.CheckChunkSize(n); err != nil {
			return fmt.Errorf("cs=: %w", err)
		}
		req.chunkSize = int(n)
	}
	if v := vals.Get("cl"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("cl=%q: want a content length in bytes", v)
		}
		req.size = n
	}
	if v := vals.Get("hf"); v != "" {
		name, err := hashName(v)
		if err != nil {
			return err
		}
		req.hash = name
	}
	if v := vals.Get("mt"); v != "" {
		if _, _, err := mime.ParseMediaType(v); err != nil {
			return fmt.Errorf("mt=%q: want a media type such as video/mp4: %w", v, err)
		}
		req.mimeType = v
	}
	// t is libswift's tracker: to ppsppd, a peer like any other.
	for _, key := range []string{"peer", "t"} {
		for _, v := range vals[key] {
			// Only the form here: the manager resolves the name when it adds the swarm,
			// and a request parse must not wait on DNS.
			if err := swarmurl.CheckPeer(v); err != nil {
				return fmt.Errorf("%s=: %w", key, err)
			}
			req.peers = append(req.peers, v)
		}
	}
	return nil
}

// hashName maps the Merkle hash function code of a link's hf key (RFC 7574 §7.6) to the
// name the manager takes.
func hashName(code string) (string, error) {
	names := map[string]string{"0": "sha1", "1": "sha224", "2": "sha256", "3": "sha384", "4": "sha512"}
	if name, ok := names[code]; ok {
		return name, nil
	}
	return "", fmt.Errorf("hf=%q: want a Merkle hash function code 0-4 (RFC 7574 §7.6)", code)
}
