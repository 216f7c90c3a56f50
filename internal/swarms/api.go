package swarms

import (
	"net/netip"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// The manager's plain types live in swarmapi, which imports neither engine nor node, so
// gateways can use them without depending on the protocol core. They are re-exported here
// under their old names: callers of the manager keep writing swarms.Status.
type (
	ID            = swarmapi.ID
	State         = swarmapi.State
	Limits        = swarmapi.Limits
	Status        = swarmapi.Status
	Peer          = swarmapi.Peer
	EventKind     = swarmapi.EventKind
	Event         = swarmapi.Event
	AddSpec       = swarmapi.AddSpec
	SeedSpec      = swarmapi.SeedSpec
	RemoveOptions = swarmapi.RemoveOptions
	NodeMetrics   = swarmapi.NodeMetrics
	Count         = swarmapi.Count
)

// States.
const (
	StateAllocating   = swarmapi.StateAllocating
	StateHashChecking = swarmapi.StateHashChecking
	StateDownloading  = swarmapi.StateDownloading
	StateSeeding      = swarmapi.StateSeeding
	StateStopped      = swarmapi.StateStopped
	StateError        = swarmapi.StateError
)

// Events a subscriber receives.
const (
	EventAdded         = swarmapi.EventAdded
	EventStateChanged  = swarmapi.EventStateChanged
	EventProgress      = swarmapi.EventProgress
	EventComplete      = swarmapi.EventComplete
	EventRemoved       = swarmapi.EventRemoved
	EventPeerConnected = swarmapi.EventPeerConnected
	EventPeerClosed    = swarmapi.EventPeerClosed
)

// ParseID reads a swarm ID in hex.
func ParseID(s string) (ID, error) { return swarmapi.ParseID(s) }

// Advertised is the address to put in a link for a daemon bound to a: a itself, or
// loopback when a is unspecified (the user knows their public address better than we do).
func Advertised(a netip.AddrPort) netip.AddrPort { return swarmapi.Advertised(a) }
