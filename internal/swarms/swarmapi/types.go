package swarmapi

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// ID is a swarm's identifier as raw bytes (for static content the Merkle root hash, RFC 7574
// §1.3). It is a string so it can key maps.
type ID string

// String is the ID in lower-case hex, the form every gateway prints.
func (id ID) String() string { return hex.EncodeToString([]byte(id)) }

// ParseID reads a swarm ID in hex.
func ParseID(s string) (ID, error) {
	b, err := swarmurl.ParseID(s)
	return ID(b), err
}

// State is where a swarm is in its life. The numbers are libswift's CMD gateway status
// codes (Tribler's DLSTATUS values), so they can be printed as they are.
type State int

// States.
const (
	StateAllocating   State = 0 // opening or creating storage
	StateHashChecking State = 2 // checking content already on disk against the root hash
	StateDownloading  State = 3 // fetching chunks (or waiting for a peer to answer)
	StateSeeding      State = 4 // complete: serving only
	StateStopped      State = 5 // stopped by the user; keeps its files and its place in the list
	StateError        State = 6 // storage failed or the swarm cannot run; Status.Err says why
)

func (s State) String() string {
	switch s {
	case StateAllocating:
		return "allocating"
	case StateHashChecking:
		return "hashchecking"
	case StateDownloading:
		return "downloading"
	case StateSeeding:
		return "seeding"
	case StateStopped:
		return "stopped"
	case StateError:
		return "error"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Limits are rate caps in bytes per second; 0 means no cap.
type Limits struct {
	Up   float64 `json:"up,omitempty"`
	Down float64 `json:"down,omitempty"`
}

// Status is a snapshot of one swarm, for gateways and the CLI.
type Status struct {
	ID    ID
	State State
	// Err says why the swarm is in StateError, or, while it downloads, why no data flows
	// (e.g. "no peer answered; retrying in 8s"); empty otherwise.
	Err string
	// Waiting is set while a downloading swarm has no peer that answers; it keeps
	// retrying its known peers with capped backoff.
	Waiting bool

	Path      string // content file
	Name      string // file name for display (and Content-Type guessing)
	ChunkSize int
	Hash      string // hash function name, e.g. "sha1"
	Size      int64  // content length, -1 while unknown
	// Have is the verified bytes; HaveChunks and TotalChunks count chunks (Total 0 while
	// the size is unknown).
	Have                    int64
	HaveChunks, TotalChunks uint64
	// DownRate and UpRate are payload bytes per second over the last few seconds;
	// Downloaded and Uploaded are payload bytes since the swarm was loaded.
	DownRate, UpRate     float64
	Downloaded, Uploaded uint64
	// Peers is the established channels; Seeders those whose peer has everything.
	Peers, Seeders, Leechers int
	Limits                   Limits
	Added                    time.Time
	// LastPeerError is why the last peer channel closed ("PEER: reason"), kept after the
	// peer is gone so that a client can tell why nothing flows.
	LastPeerError string

	// Live is set for a live swarm (RFC 7574 §6, live.go): a stream with no size and no
	// end, so Size is -1, TotalChunks 0 and nothing is ever complete. Its progress is the
	// live edge: HaveChunks is LiveEdge+1 once a chunk is held (0 before), Have that many
	// chunks' bytes — how far the stream has come, not what is kept (only the discard
	// window is). A source is StateSeeding, a peer StateDownloading.
	Live bool
	// LiveSource is set when this node injects the stream (it holds the key).
	LiveSource bool
	// LiveEdge is the newest chunk held; meaningful when HaveChunks > 0.
	LiveEdge uint64
	// LiveIntegrity is the live integrity method's name ("umt" or "signall"), LiveWindow
	// the discard window in chunks.
	LiveIntegrity string
	LiveWindow    uint64
}

// Peer is one established channel of a swarm.
type Peer struct {
	Addr netip.AddrPort
	// Raw bytes are whole datagrams; the others are chunk payload.
	RawUp, RawDown, Up, Down uint64
	HaveChunks               uint64
	Seeder                   bool
}

// EventKind says what happened to a swarm.
type EventKind int

// Events a subscriber receives.
const (
	EventAdded        EventKind = iota + 1 // a swarm was added (or restored at start)
	EventStateChanged                      // Status.State changed
	EventProgress                          // chunks were verified (coalesced, at most a few per second)
	EventComplete                          // every chunk is verified
	EventRemoved                           // the swarm was removed
	EventPeerConnected
	EventPeerClosed
)

func (k EventKind) String() string {
	switch k {
	case EventAdded:
		return "added"
	case EventStateChanged:
		return "state"
	case EventProgress:
		return "progress"
	case EventComplete:
		return "complete"
	case EventRemoved:
		return "removed"
	case EventPeerConnected:
		return "peer-connected"
	case EventPeerClosed:
		return "peer-closed"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is one change to a swarm, with the swarm's status after it.
type Event struct {
	Kind   EventKind
	ID     ID
	Status Status
	Peer   netip.AddrPort // peer events
	Err    string         // why a peer closed, or why the swarm failed
	// BadData is set on EventPeerClosed when the peer was dropped because its chunks
	// failed verification: a bad peer, or, when every peer is dropped so, swarm metadata
	// that do not match the swarm (content length, chunk size or hash function).
	BadData bool
}

// AddSpec says what swarm to download (and then seed).
type AddSpec struct {
	ID    ID
	Peers []string // HOST:PORT, resolved by the manager
	// ChunkSize in bytes (0: 1024); Hash a hash function name ("": sha1, libswift's);
	// Size the content length when known (-1 or 0: learned from the peak hashes).
	ChunkSize int
	Hash      string
	Size      int64
	// Dest is where the content goes: empty for <content dir>/<hex ID>, a directory inside
	// the content directory (the file is named <hex ID> in it), or a file path inside it.
	// Paths that resolve outside the content directory are refused.
	Dest   string
	Name   string // display name (e.g. from the link's file name)
	Limits Limits
	// Force takes over a destination file that is not this swarm's download (see
	// storage.Options.Force); it applies to this Add only and is not persisted.
	Force bool
}

// SeedSpec says what local file to seed.
type SeedSpec struct {
	Path      string
	ChunkSize int    // 0: 1024
	Hash      string // "": sha1
	Limits    Limits
}

// RemoveOptions say what to delete with the swarm (libswift's REMOVE flags).
type RemoveOptions struct {
	DeleteState, DeleteContent bool
}
