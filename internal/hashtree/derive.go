package hashtree

import "github.com/ppsppd/ppsppd/internal/bins"

// Derivation of inner nodes from their children (§5.1). Used when every leaf is known: after
// hashing content, and when loading libswift's .mhash.

// deriveFilled computes the filled nodes at layer l with offsets [k0, k1) from their
// children, which must already be in place. It writes slots but not the known bits, so
// workers covering disjoint subtrees can run it concurrently.
func (t *Tree) deriveFilled(l uint, k0, k1 uint64) {
	hl := t.hl
	half := uint64(1) << (l - 1)
	for k := k0; k < k1; k++ {
		b := k<<(l+1) | (1<<l - 1)
		lo, hi := int(b-half)*hl, int(b+half)*hl
		t.p.Hash.sumPair(t.hashes[int(b)*hl:int(b+1)*hl], t.hashes[lo:lo+hl], t.hashes[hi:hi+hl])
	}
}

// deriveIncomplete computes the nodes that cover the last chunk and padding, bottom up, and
// marks them known. The filled nodes below them must be known.
func (t *Tree) deriveIncomplete() {
	for l := uint(1); l <= t.top; l++ {
		b := bins.New(l, (t.n-1)>>l)
		slot, kind := t.classify(b)
		if kind != kindIncomplete {
			continue
		}
		left, _ := t.lookup(b.Left())
		right, _ := t.lookup(b.Right())
		var h [MaxHashSize]byte
		t.p.Hash.sumPair(h[:t.hl], left, right)
		t.store(slot, h[:t.hl])
	}
}

// markAllKnown sets the known bit of every stored slot: the tree is complete.
func (t *Tree) markAllKnown() {
	slots := t.slotCount()
	for i := range t.known {
		t.known[i] = ^uint64(0)
	}
	if r := slots & 63; r != 0 {
		t.known[len(t.known)-1] = 1<<r - 1
	}
}

// filledRange returns the offsets [k0, k1) of filled nodes at layer l that lie inside the
// aligned block of chunks [c0, c0+width).
func (t *Tree) filledRange(l uint, c0, width uint64) (uint64, uint64) {
	k0 := c0 >> l
	k1 := min((c0+width)>>l, t.n>>l)
	return k0, max(k0, k1)
}
