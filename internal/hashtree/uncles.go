package hashtree

import (
	"fmt"
	"slices"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Mode is how far up a seeder sends uncle hashes. RFC 7574 §5.6.2 makes the peaks a MUST
// before the first DATA to a peer that has acked nothing, but leaves open whether the
// uncles then stop at the chunk's peak or go on to the root.
type Mode uint8

const (
	// ToPeak is libswift's way: all peaks first to a peer that holds nothing yet, then
	// uncles only up to the peak above the chunk. Use it toward libswift.
	ToPeak Mode = iota
	// ToRoot sends uncles up to the root (§5.2, §5.3), and no peak list. The receiver
	// must know the chunk count (content length in the swarm metadata).
	ToRoot
)

// Known reports whether a peer already holds the hash of node b.
type Known interface {
	Knows(b bins.Bin) bool
}

// HaveSet is what a seeder learned from a peer's HAVE and ACK messages (§3.2, §3.4):
// whether it verified any chunk in a range.
type HaveSet interface {
	HasAny(r bins.ChunkRange) bool
}

// Peer is a seeder's picture of the hashes one receiving peer holds (§5.3: "the sender
// judges what the receiver already has from its HAVE and ACK messages").
type Peer struct {
	// Have holds the chunks the peer announced; nil for a peer that announced none.
	Have HaveSet
	// Sent holds hashes sent in datagrams not yet acked, which §5.3 allows skipping
	// (trading a resend on loss for fewer bytes); nil to send them again.
	Sent Known
	// SizeKnown: the peer knows the chunk count (it was in the swarm metadata), so the
	// all-zero hashes of padding need not be sent.
	SizeKnown bool
}

// NodeSet is a small set of bins, usable as Peer.Sent.
type NodeSet map[bins.Bin]struct{}

// Knows reports whether b is in the set.
func (s NodeSet) Knows(b bins.Bin) bool { _, ok := s[b]; return ok }

// Add puts b in the set.
func (s NodeSet) Add(b bins.Bin) { s[b] = struct{}{} }

// Uncles appends to dst the hashes peer needs before the DATA for bin b (a chunk or an
// aligned bin of chunks), in sending order: for ToPeak and a peer that holds nothing, the
// peaks, largest first; then the uncles, highest layer first (§5.3, §5.4, §5.6.2). Hashes
// the peer already holds are left out, so every INTEGRITY message carries news.
//
// The returned hashes point into the tree. ErrMissingHash means this tree does not know a
// hash the peer needs (a partial tree can serve only chunks it has verified).
func (t *Tree) Uncles(dst []NodeHash, b bins.Bin, mode Mode, peer Peer) ([]NodeHash, error) {
	if t.n == 0 {
		return dst, ErrSizeUnknown
	}
	if _, kind := t.classify(b); kind != kindFilled && kind != kindIncomplete {
		return dst, binErr(b, ErrOutOfRange)
	}
	warm := peer.Have != nil && peer.Have.HasAny(bins.ChunkRange{Start: 0, End: t.n - 1})
	k := knowledge{t: t, peer: peer, peaks: mode == ToPeak && warm}
	if mode == ToPeak && !warm {
		var peaks [bins.MaxLayer + 1]bins.Bin
		for _, pb := range AppendPeakBins(peaks[:0], t.n) {
			if peer.Sent != nil && peer.Sent.Knows(pb) {
				continue
			}
			h, ok := t.lookup(pb)
			if !ok {
				return dst, t.missingErr(pb)
			}
			dst = append(dst, NodeHash{Bin: pb, Hash: h})
		}
		k.peaks = true // the peer checks them before it looks at the uncles
	}
	k.sizeKnown = peer.SizeKnown || k.peaks

	stop := t.RootBin()
	start := len(dst)
	if mode == ToPeak && b.BaseRight() < t.n {
		stop = t.peakOf(b.BaseLeft())
		if k.peaks {
			return t.unclesUnderPeak(dst, start, b, stop, peer)
		}
	}
	return t.unclesWalk(dst, start, b, stop, &k)
}

// unclesWalk climbs from b to stop and collects the siblings the peer lacks.
func (t *Tree) unclesWalk(dst []NodeHash, start int, b, stop bins.Bin, k *knowledge) ([]NodeHash, error) {
	for x := b; x != stop && !k.knows(x); x = x.Parent() {
		s := x.Sibling()
		if k.knows(s) {
			continue
		}
		h, ok := t.lookup(s)
		if !ok {
			return dst[:start], t.missingErr(s)
		}
		dst = append(dst, NodeHash{Bin: s, Hash: h})
	}
	slices.Reverse(dst[start:]) // collected bottom-up, sent highest layer first
	return dst, nil
}

// unclesUnderPeak is Uncles' walk for the common case of a peer that holds the peaks and a
// bin b under the peak stop: every node on the way is a real one strictly under the peak, so
// of knowledge.knows only the peer's chunks and the sent hashes can tell, and a sibling
// shares its parent, and so the HAVE test, with the node on the path. A seeder runs this
// for every chunk it sends, so it asks HasAny once per layer instead of twice.
func (t *Tree) unclesUnderPeak(dst []NodeHash, start int, b, stop bins.Bin, peer Peer) ([]NodeHash, error) {
	for x := b; x != stop; x = x.Parent() {
		if peer.Have != nil && peer.Have.HasAny(x.Parent().Range()) {
			break
		}
		if peer.Sent != nil && peer.Sent.Knows(x) {
			break
		}
		s := x.Sibling()
		if peer.Sent != nil && peer.Sent.Knows(s) {
			continue
		}
		h, ok := t.lookup(s)
		if !ok {
			return dst[:start], t.missingErr(s)
		}
		dst = append(dst, NodeHash{Bin: s, Hash: h})
	}
	slices.Reverse(dst[start:])
	return dst, nil
}

// knowledge decides whether a peer holds a node's hash.
type knowledge struct {
	t         *Tree
	peer      Peer
	peaks     bool // the peer holds all peaks, and so every node above them
	sizeKnown bool
}

func (k *knowledge) knows(x bins.Bin) bool {
	t := k.t
	if x == t.RootBin() {
		return true
	}
	_, kind := t.classify(x)
	if kind == kindEmpty && k.sizeKnown {
		return true
	}
	// With the peaks checked against the root, the receiver can compute every node at or
	// above them (§5.6.1); only nodes strictly inside a peak need uncles.
	if k.peaks && !t.underPeak(x) {
		return true
	}
	// A peer that verified a chunk under x's parent climbed through x or its sibling, and
	// holds both (§5.2).
	if k.peer.Have != nil {
		r := x.Parent().Range()
		r.End = min(r.End, t.n-1)
		if r.Start <= r.End && k.peer.Have.HasAny(r) {
			return true
		}
	}
	return k.peer.Sent != nil && k.peer.Sent.Knows(x)
}

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ToPeak:
		return "to-peak"
	case ToRoot:
		return "to-root"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}
