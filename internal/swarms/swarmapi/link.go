package swarmapi

import (
	"net/netip"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// Advertised is the address to put in a link for a daemon bound to a: a itself, or
// loopback when a is the unspecified address (0.0.0.0 or ::), which no peer can dial.
func Advertised(a netip.AddrPort) netip.AddrPort {
	if a.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port())
	}
	return a
}

// Link is the tswift URL that names this swarm with the daemon at daemon (its UDP address)
// as the peer to contact. It is in the form libswift prints: the chunk size only when it
// is not 1024, the hash function only when it is not SHA-1 (libswift's only one), no
// content length.
func (s Status) Link(daemon netip.AddrPort) swarmurl.Link {
	link := swarmurl.Link{Peer: Advertised(daemon).String(), SwarmID: []byte(s.ID), ChunkSize: uint32(s.ChunkSize),
		Size: -1, Hash: -1}
	if hf, err := hashtree.ParseHashFunc(s.Hash); err == nil && hf != hashtree.SHA1 {
		link.Hash = int(hf)
	}
	return link
}
