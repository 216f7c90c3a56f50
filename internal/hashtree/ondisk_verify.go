package hashtree

import (
	"bytes"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Every hash a tree on disk hands out (an uncle for a peer, a leaf that checks a chunk we
// serve) must be verified against the root, but the layer file is only a file: bit rot, a
// torn write or tampering can change any hash in it. So a page is checked when it is read,
// before any of its hashes is used, and trusted only while it stays cached.
//
// Page k holds slots k·256 … k·256+255, in-order bin numbers: the whole aligned subtree of
// 128 leaves rooted at bin (7, k) (slots k·256 … k·256+254) and one ancestor of it (slot
// k·256+255, layer 8 or more). The check recomputes the subtree's 127 inner nodes from its
// leaves and compares them with the stored ones, then climbs from the subtree root to a
// node already trusted (the root, a node of the right edge, or one verified by an earlier
// climb), with siblings taken from the trusted set, a cached page or read from the file,
// comparing the stored ancestor on the way. Reaching the trusted node with the same hash
// proves every hash on the way, the siblings included (RFC 7574 §5.1: a collision-resistant
// hash makes the root commit to every node), so they join the trusted set and later climbs
// stop early: a peer downloading in order costs about 128 pair hashes per 128 chunks.

// pageLayer is the layer of the subtree a page holds: 2^(pageLayer+1) = layerPageHashes.
const pageLayer = 7

// trustedMax bounds the set of verified nodes above the pages; when full it is emptied
// (it is only a shortcut). A walk in order needs about two per layer.
const trustedMax = 1024

// corruptErr counts a page that failed its check and describes it.
func (d *diskHashes) corruptErr(page int64, b bins.Bin, what string) error {
	d.corrupt.Add(1)
	return fmt.Errorf("%w: page %d: %s at bin %v", ErrCorruptLayers, page, what, b)
}

// checkPage verifies page, read raw as p (len(p)/H slots), against the root. d.mu is held.
func (d *diskHashes) checkPage(t *Tree, page int64, p []byte) error {
	hl := t.hl
	first := bins.Bin(page * layerPageHashes)
	top := min(uint(pageLayer), t.top) // a tree under 128 chunks is one page, its root below layer 7
	sub := bins.New(top, uint64(page))
	if need := (2<<top - 1) * hl; len(d.calc) < need {
		d.calc = make([]byte, need)
	}
	calc := func(b bins.Bin) []byte { i := int(b-first) * hl; return d.calc[i : i+hl] }
	stored := func(b bins.Bin) []byte {
		if b < first || int(b-first) >= len(p)/hl {
			return nil
		}
		i := int(b-first) * hl
		return p[i : i+hl]
	}
	// The subtree, layer by layer from the leaves. Filled nodes are in the file; a node on
	// the right edge is not (its hash is in edges, trusted since OpenLayers checked the
	// root through it); nodes over padding only are all zero (§5.1).
	end := first + bins.Bin(2<<top-1)
	for l := uint(0); l <= top; l++ {
		for b := first + bins.Bin(1<<l-1); b < end; b += bins.Bin(2 << l) {
			_, kind := t.classify(b)
			h := calc(b)
			switch {
			case kind == kindEmpty:
				copy(h, zeroHash[:hl])
			case kind == kindFilled && l == 0:
				s := stored(b)
				if s == nil {
					return d.corruptErr(page, b, "leaf past the file's page")
				}
				copy(h, s)
			case kind == kindFilled:
				t.p.Hash.sumPair(h, calc(b.Left()), calc(b.Right()))
				if !bytes.Equal(h, stored(b)) {
					return d.corruptErr(page, b, "stored hash is not the hash of its children")
				}
			case kind == kindIncomplete:
				t.p.Hash.sumPair(h, calc(b.Left()), calc(b.Right()))
				if e := d.edges[l]; e == nil || !bytes.Equal(h, e) {
					return d.corruptErr(page, b, "leaves do not give the right edge")
				}
			default:
				return d.corruptErr(page, b, "node outside the tree")
			}
		}
	}
	// The page's last slot holds an ancestor of sub when that is a node of the file; the
	// climb must pass it before it may stop at a trusted node.
	anc := first + layerPageHashes - 1
	if _, kind := t.classify(anc); kind != kindFilled || stored(anc) == nil {
		anc = sub
	}
	return d.climb(t, page, sub, calc(sub), anc.Layer(), stored)
}

// climb hashes from x, whose hash is h, up to a trusted node at layer minStop or above and
// compares; stored gives the page's own hashes, so its ancestor slot is compared on the
// way. d.mu is held.
func (d *diskHashes) climb(t *Tree, page int64, x bins.Bin, h []byte, minStop uint, stored func(bins.Bin) []byte) error {
	hl := t.hl
	var cur, nxt [MaxHashSize]byte
	copy(cur[:], h)
	// The nodes proven when the climb succeeds: the path and its siblings.
	var proven [2 * (bins.MaxLayer + 1)]NodeHash
	np := 0
	for {
		_, kind := t.classify(x)
		// The page's own ancestor slot, before any shortcut: it is handed out once the
		// page is cached. (A node on the right edge has no hash in the file.)
		if s := stored(x); kind == kindFilled && s != nil && !bytes.Equal(cur[:hl], s) {
			return d.corruptErr(page, x, "stored ancestor is not the hash of its subtree")
		}
		switch {
		case kind == kindIncomplete:
			if e := d.edges[x.Layer()]; e == nil || !bytes.Equal(cur[:hl], e) {
				return d.corruptErr(page, x, "climb does not reach the right edge")
			}
			return d.trust(proven[:np])
		case x == t.RootBin():
			if !bytes.Equal(cur[:hl], t.root) {
				return d.corruptErr(page, x, "climb does not reach the root")
			}
			return d.trust(proven[:np])
		}
		if v, ok := d.trusted[x]; ok && x.Layer() >= minStop {
			if !bytes.Equal(cur[:hl], v) {
				return d.corruptErr(page, x, "climb disagrees with a verified node")
			}
			return d.trust(proven[:np])
		}
		proven[np] = NodeHash{Bin: x, Hash: append([]byte(nil), cur[:hl]...)}
		np++
		sib := x.Sibling()
		sh, filled, err := d.climbSibling(t, sib)
		if err != nil {
			return err
		}
		if filled {
			proven[np] = NodeHash{Bin: sib, Hash: sh}
			np++
		}
		if x.IsLeft() {
			t.p.Hash.sumPair(nxt[:hl], cur[:hl], sh)
		} else {
			t.p.Hash.sumPair(nxt[:hl], sh, cur[:hl])
		}
		cur = nxt
		x = x.Parent()
	}
}

// climbSibling returns the hash of sib for a climb: zero padding, the right edge, a
// trusted node, a verified cached page, or else the file's bytes, which the climb itself
// then proves or refutes. filled reports a node stored in the file. d.mu is held.
func (d *diskHashes) climbSibling(t *Tree, sib bins.Bin) (h []byte, filled bool, err error) {
	slot, kind := t.classify(sib)
	switch kind {
	case kindEmpty:
		return zeroHash[:t.hl:t.hl], false, nil
	case kindIncomplete:
		if e := d.edges[sib.Layer()]; e != nil {
			return e, false, nil
		}
		return nil, false, fmt.Errorf("%w: right edge missing at bin %v", ErrCorrupt, sib)
	case kindFilled:
	default:
		return nil, false, fmt.Errorf("%w: sibling %v outside the tree", ErrCorrupt, sib)
	}
	if v, ok := d.trusted[sib]; ok {
		return v, true, nil
	}
	if p, ok := d.pages[int64(slot/layerPageHashes)]; ok {
		at := (slot % layerPageHashes) * t.hl
		return append([]byte(nil), p[at:at+t.hl]...), true, nil
	}
	h, err = d.readHash(t, slot)
	return h, true, err
}

// readHash reads one hash from the file, unchecked.
func (d *diskHashes) readHash(t *Tree, slot int) ([]byte, error) {
	h := make([]byte, t.hl)
	if got, err := d.r.ReadAt(h, d.base+int64(slot)*int64(t.hl)); got != len(h) {
		return nil, fmt.Errorf("hashtree: reading the hash at slot %d: %w", slot, eofIsUnexpected(err))
	}
	return h, nil
}

// trust adds nodes proven by a climb to the trusted set. d.mu is held.
func (d *diskHashes) trust(nodes []NodeHash) error {
	if len(d.trusted)+len(nodes) > trustedMax {
		clear(d.trusted)
	}
	for _, n := range nodes {
		d.trusted[n.Bin] = n.Hash
	}
	return nil
}

// CorruptPages is the number of layer-file pages that failed their check against the root
// (each failed read counts; a bad page is read again at its next use). It is zero for a
// tree in memory. Any non-zero count means the layer file should be made again.
func (t *Tree) CorruptPages() uint64 {
	if t.disk == nil {
		return 0
	}
	return t.disk.corrupt.Load()
}

// OnCorruptPage sets f to be called with the error (wrapping ErrCorruptLayers) each time a
// page of a tree on disk fails its check, so the owner of the layer file can drop it and
// have it made again. Set it before the tree is used. f runs while the tree's page lock is
// held: it must be quick and must not call the tree. It does nothing for a tree in memory.
func (t *Tree) OnCorruptPage(f func(error)) {
	if t.disk == nil {
		return
	}
	t.disk.mu.Lock()
	defer t.disk.mu.Unlock()
	t.disk.onBad = f
}

// CheckLayers reads every page of a tree on disk, each checked against the root as any read
// is, and returns the first failure: for a layer file taken from elsewhere (libswift's
// .mhash), whose pages a later read would otherwise find bad one by one. It reads 2N
// hashes and hashes about N pairs; a tree in memory has nothing to check.
func (t *Tree) CheckLayers() error {
	if t.disk == nil {
		return nil
	}
	for slot := 0; slot < int(2*t.n-1); slot += layerPageHashes {
		if _, ok := t.disk.slot(t, slot); !ok {
			return t.disk.lookupErr()
		}
	}
	return nil
}
