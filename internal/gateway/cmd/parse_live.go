package cmdgw

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Live streams (RFC 7574 §6). libswift's CMD gateway has no live command (its live source
// is a separate process, swift -i); these are ppsppd's, for scripts that run a camera or an
// encoder into the daemon. Each reply is lines, then OK, or one ERROR.
type (
	// LiveSource is LIVE SOURCE <absolute path> [key=<absolute path>|sig=<alg>]
	// [chunk=<bytes>] [integrity=umt|signall] [window=<chunks>] [follow=0|1]: inject the
	// stream read from a file (followed as it grows unless follow=0) or a FIFO, which must
	// lie inside the content directory or a [seed] path (as SEED's). Without key= a new
	// key of algorithm sig= (default ecdsa-p256) signs it: an ephemeral swarm ID.
	LiveSource struct {
		Path    string
		KeyFile string
		Alg     string
		// ChunkSize and Window are 0 and Method 0 when not given (the manager's
		// defaults).
		ChunkSize int
		Method    wire.IntegrityMethod
		Window    uint64
		Follow    bool
		// ChunksPerSig is the munro width (chunks_per_sig=), 0 for the default.
		ChunksPerSig uint64
	}
	// LiveJoin is LIVE JOIN <tswift-url|hex> [peer=<host:port>]... [integrity=umt|signall]
	// [window=<chunks>]: join a live stream as a peer (the link's $N or cs= is its chunk
	// size). START and ADD of a live swarm ID do the same.
	LiveJoin struct {
		URL    string
		Link   swarmurl.Link
		Peers  []string
		Method wire.IntegrityMethod
		Window uint64
	}
	// LiveStop is LIVE STOP <hex>: end a live source or leave a live stream (RM of a live
	// swarm; refused for a static one).
	LiveStop struct{ ID swarms.ID }
)

func (LiveSource) name() string { return "LIVE SOURCE" }
func (LiveJoin) name() string   { return "LIVE JOIN" }
func (LiveStop) name() string   { return "LIVE STOP" }

const (
	liveSourceUsage = "LIVE SOURCE <absolute-path> [key=<absolute-path>|sig=<alg>] [chunk=<bytes>] [integrity=umt|signall] [window=<chunks>] [chunks_per_sig=<n>] [follow=0|1]"
	liveJoinUsage   = "LIVE JOIN <tswift-url|swarm-id-hex> [peer=<host:port>]... [integrity=umt|signall] [window=<chunks>]"
	liveStopUsage   = "LIVE STOP <swarm-id-hex>"
	liveUsage       = "LIVE SOURCE|JOIN|STOP ... (HELP shows each)"
)

// maxLiveWindow bounds window=: 2^24 chunks is 16 GiB of 1 KiB chunks held in memory,
// more than any live stream needs behind its edge.
const maxLiveWindow = 1 << 24

func parseLive(args []string) (Command, error) {
	if len(args) == 0 {
		return nil, perr(MissingParameter, "usage: %s", liveUsage)
	}
	switch strings.ToUpper(args[0]) {
	case "SOURCE":
		return parseLiveSource(args[1:])
	case "JOIN":
		return parseLiveJoin(args[1:])
	case "STOP":
		return oneID(func(id swarms.ID) Command { return LiveStop{ID: id} })(args[1:])
	}
	return nil, perr(UnknownCommand, "LIVE %s; usage: %s", quote(args[0]), liveUsage)
}

// liveOptions reads key=value options, each given at most once, calling set for each.
func liveOptions(args []string, usage string, set func(key, val string) error) error {
	seen := map[string]bool{}
	for _, a := range args {
		key, val, ok := strings.Cut(a, "=")
		key = strings.ToLower(key)
		if !ok {
			return perr(BadParameter, "%s is not key=value; usage: %s", quote(a), usage)
		}
		if seen[key] && key != "peer" {
			return perr(BadParameter, "%s= given twice", quote(key))
		}
		seen[key] = true
		if err := set(key, val); err != nil {
			return err
		}
	}
	return nil
}

// streamOption sets what a source and a peer both may name about a stream: its integrity
// method or its discard window.
func streamOption(key, val string, method *wire.IntegrityMethod, window *uint64) error {
	var err error
	if key == "integrity" {
		*method, err = parseLiveIntegrity(val)
	} else {
		*window, err = parseLiveWindow(val)
	}
	return err
}

func parseLiveIntegrity(val string) (wire.IntegrityMethod, error) {
	m, err := swarmapi.ParseLiveIntegrity(val)
	if err != nil || val == "" {
		return 0, perr(BadParameter, "integrity=%s: want umt or signall", quote(val))
	}
	return m, nil
}

func parseLiveWindow(val string) (uint64, error) {
	n, err := strconv.ParseUint(val, 10, 64)
	if err != nil || n == 0 || n > maxLiveWindow {
		return 0, perr(BadParameter, "window=%s: want a number of chunks from 1 to %d", quote(val), maxLiveWindow)
	}
	return n, nil
}

func parseLiveSource(args []string) (Command, error) {
	if err := want(args, 1, 8, liveSourceUsage); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(args[0]) {
		return nil, perr(BadParameter, "%s: LIVE SOURCE takes an absolute path", quote(args[0]))
	}
	c := LiveSource{Path: filepath.Clean(args[0]), Follow: true}
	err := liveOptions(args[1:], liveSourceUsage, func(key, val string) error {
		switch key {
		case "key":
			if !filepath.IsAbs(val) {
				return perr(BadParameter, "key=%s: want an absolute path", quote(val))
			}
			c.KeyFile = filepath.Clean(val)
		case "sig":
			if _, err := livesig.ParseAlg(val); err != nil {
				return perr(BadParameter, "sig=%s: want ecdsa-p256, ecdsa-p384, ed25519, rsa-sha256 or rsa-sha1", quote(val))
			}
			c.Alg = val
		case "chunk":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil || hashtree.CheckChunkSize(n) != nil {
				return perr(BadParameter, "chunk=%s: %v", quote(val), hashtree.CheckChunkSize(0))
			}
			c.ChunkSize = int(n)
		case "integrity", "window":
			return streamOption(key, val, &c.Method, &c.Window)
		case "chunks_per_sig":
			n, err := strconv.ParseUint(val, 10, 64)
			if err == nil {
				err = swarmapi.CheckChunksPerSig(n)
			}
			if err != nil || n == 0 {
				return perr(BadParameter, "chunks_per_sig=%s: want a power of two up to %d", quote(val), swarmapi.MaxChunksPerSig)
			}
			c.ChunksPerSig = n
		case "follow":
			f, err := parseFlag(val, "follow")
			if err != nil {
				return err
			}
			c.Follow = f
		default:
			return perr(BadParameter, "unknown option %s; usage: %s", quote(key), liveSourceUsage)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.KeyFile != "" && c.Alg != "" {
		return nil, perr(BadParameter, "key= and sig= together: sig= is for a new key, a key file carries its algorithm")
	}
	return c, nil
}

func parseLiveJoin(args []string) (Command, error) {
	// As ADD's bound: a few bootstrap peers per line.
	if err := want(args, 1, 19, liveJoinUsage); err != nil {
		return nil, err
	}
	l, err := parseLink(args[0])
	if err != nil {
		return nil, err
	}
	if err := swarmapi.CheckLiveID(swarms.ID(l.SwarmID)); err != nil {
		return nil, perr(BadParameter, "%v", err)
	}
	c := LiveJoin{URL: args[0], Link: l}
	err = liveOptions(args[1:], liveJoinUsage, func(key, val string) error {
		switch key {
		case "peer":
			if err := checkHostPort(val); err != nil {
				return err
			}
			c.Peers = append(c.Peers, val)
		case "integrity", "window":
			return streamOption(key, val, &c.Method, &c.Window)
		default:
			return perr(BadParameter, "unknown option %s; usage: %s", quote(key), liveJoinUsage)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
