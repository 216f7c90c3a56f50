package httpgw

import (
	"fmt"
	"mime"
	"net/url"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// contentRequest is what a content path and its query say.
type contentRequest struct {
	id       swarms.ID
	fileName string // the path's optional /FILENAME, for the Content-Type
	mimeType string // ?mt=
	// What to start the swarm with if the daemon does not hold it.
	chunkSize int    // libswift's default when the request does not say
	size      int64  // -1: unknown
	hash      string // "": the manager's default
	peers     []string
}

// parseContentRequest reads libswift's path form, SWARMHEX[$CHUNKSIZE][/FILENAME], with the
// link keys of its query (cs, cl, hf: swarmurl reads them as it does in a tswift: URL) and
// the gateway's own (mt, peer, t). Errors are the client's: the caller answers 400.
func parseContentRequest(path string, query string) (contentRequest, error) {
	req := contentRequest{size: -1}
	link, vals, err := swarmurl.ParsePath(path, query)
	if err != nil {
		return req, err
	}
	req.id = swarms.ID(link.SwarmID)
	req.fileName = link.Filename
	req.chunkSize = int(link.ChunkSize)
	req.size = link.Size
	req.hash = link.HashName()
	return req, req.applyGatewayQuery(vals)
}

// applyGatewayQuery reads the query keys that only the HTTP gateway knows.
func (req *contentRequest) applyGatewayQuery(vals url.Values) error {
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
