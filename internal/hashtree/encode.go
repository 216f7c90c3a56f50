package hashtree

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Encodings of a tree's known hashes. Neither is trusted when read back: every hash is
// checked against the root before a Tree is returned.

// AppendMhash appends the tree in libswift's .mhash layout: 2N hashes indexed by bin
// number; nodes not filled with content (those above the peaks) and unknown nodes are all
// zero.
func (t *Tree) AppendMhash(dst []byte) []byte {
	if t.n == 0 {
		return dst
	}
	slots := int(2 * t.n)
	dst = slices.Grow(dst, slots*t.hl)
	for s := 0; s < slots; s++ {
		if s < int(2*t.n-1) && t.isKnown(s) {
			dst = append(dst, t.slotHash(s)...)
		} else {
			dst = append(dst, zeroHash[:t.hl]...)
		}
	}
	return dst
}

// FromMhash loads a complete libswift .mhash (see AppendMhash). It uses the leaf hashes
// only: the inner nodes are recomputed from them, must agree with the file wherever the
// file has them, and must lead to root. So the file cannot smuggle in a wrong hash, while
// no content is read. A partial .mhash (a download libswift did not finish) fails with
// ErrHashMismatch.
func FromMhash(root []byte, p Params, mhash []byte) (*Tree, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	if len(root) != p.Hash.Size() {
		return nil, fmt.Errorf("hashtree: root of %d bytes: %w", len(root), ErrBadLength)
	}
	t, err := treeFromMhash(p, mhash)
	if err != nil {
		return nil, err
	}
	if got, _ := t.lookup(t.RootBin()); !bytes.Equal(got, root) {
		return nil, fmt.Errorf("%w: .mhash leaves do not lead to the root", ErrHashMismatch)
	}
	t.root = append([]byte(nil), root...)
	return t, nil
}

// MhashRoot computes the root hash (the swarm ID) a complete libswift .mhash leads to, with
// the same consistency checks as FromMhash. Seeding content that libswift seeded then needs
// no rehashing: the content is checked chunk by chunk as it is read.
func MhashRoot(p Params, mhash []byte) ([]byte, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	t, err := treeFromMhash(p, mhash)
	if err != nil {
		return nil, err
	}
	root, _ := t.lookup(t.RootBin())
	return append([]byte(nil), root...), nil
}

// treeFromMhash rebuilds a tree from the leaf hashes of a .mhash and checks the inner nodes
// the file holds against them. The root is left for the caller to check.
func treeFromMhash(p Params, mhash []byte) (*Tree, error) {
	hl := p.Hash.Size()
	if len(mhash) == 0 || len(mhash)%(2*hl) != 0 {
		return nil, fmt.Errorf("%w: .mhash of %d bytes is not 2·N·%d", ErrCorrupt, len(mhash), hl)
	}
	n := uint64(len(mhash) / (2 * hl))
	if n > p.MaxChunks {
		return nil, fmt.Errorf("%w: %d chunks", ErrTooLarge, n)
	}
	if p.Size > 0 && chunkCount(p.Size, p.ChunkSize) != n {
		return nil, fmt.Errorf("%w: .mhash has %d chunks, content %d bytes", ErrCorrupt, n, p.Size)
	}
	t := newTree(p, nil, n)
	for c := uint64(0); c < n; c++ {
		s := int(2*c) * hl
		copy(t.hashes[s:s+hl], mhash[s:s+hl])
	}
	for l := uint(1); l <= t.top; l++ {
		t.deriveFilled(l, 0, n>>l)
	}
	t.markAllKnown()
	t.deriveIncomplete()
	for s := 1; s < int(2*n-1); s += 2 {
		if _, kind := t.classify(bins.Bin(s)); kind != kindFilled {
			continue
		}
		stored := mhash[s*hl : (s+1)*hl]
		if !bytes.Equal(stored, zeroHash[:hl]) && !bytes.Equal(stored, t.slotHash(s)) {
			return nil, binErr(bins.Bin(s), fmt.Errorf("%w: .mhash inner node disagrees with its leaves", ErrCorrupt))
		}
	}
	return t, nil
}

// AppendFrontier appends the smallest set of known hashes from which Restore rebuilds
// every known hash: the known nodes whose children are unknown (leaves of the known part).
// Layout: a bitmap of 2N−1 bits, bit b (byte b/8, value 1<<(b%8)) set when bin b is
// included, then the included hashes in ascending bin order. Nothing when N is unknown.
// The root is never included: it is the swarm ID, stored elsewhere.
func (t *Tree) AppendFrontier(dst []byte) []byte {
	if t.n == 0 {
		return dst
	}
	filled := int(2*t.n - 1)
	rootSlot, _ := t.classify(t.RootBin())
	mapStart := len(dst)
	dst = append(dst, make([]byte, (filled+7)/8)...)
	count := 0
	for s := 0; s < filled; s++ {
		if t.inFrontier(s, rootSlot) {
			dst[mapStart+s/8] |= 1 << (s % 8)
			count++
		}
	}
	dst = slices.Grow(dst, count*t.hl)
	for s := 0; s < filled; s++ {
		if dst[mapStart+s/8]&(1<<(s%8)) != 0 {
			dst = append(dst, t.slotHash(s)...)
		}
	}
	return dst
}

func (t *Tree) inFrontier(s, rootSlot int) bool {
	if !t.isKnown(s) || s == rootSlot {
		return false
	}
	l := bins.Bin(s).Layer()
	// Filled nodes have filled children, stored at their bin numbers.
	return l == 0 || !t.isKnown(s-1<<(l-1))
}

// FrontierLen is the length of an AppendFrontier encoding for n chunks that includes k
// hashes.
func FrontierLen(n uint64, k int, hf HashFunc) int {
	if n == 0 {
		return 0
	}
	return int((2*n-1+7)/8) + k*hf.Size()
}

// Restore rebuilds a tree from its root, parameters, chunk count (0 if unknown) and an
// AppendFrontier encoding. Every inner node is recomputed bottom-up; a stored node must
// agree with its recomputed value, every known node must have a known sibling, and the
// recomputed root must equal root. So even a checkpoint whose checksum matches cannot make
// the tree trust a wrong hash.
func Restore(root []byte, p Params, n uint64, frontier []byte) (*Tree, error) {
	t, err := NewFromRoot(root, p)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		if len(frontier) != 0 {
			return nil, fmt.Errorf("%w: hashes stored without a chunk count", ErrCorrupt)
		}
		return t, nil
	}
	if t.n != 0 && t.n != n {
		return nil, fmt.Errorf("%w: %d chunks stored, size gives %d", ErrCorrupt, n, t.n)
	}
	if n > t.p.MaxChunks {
		return nil, fmt.Errorf("%w: %d chunks", ErrTooLarge, n)
	}
	if t.n == 0 {
		t.setN(n)
	}
	if err := t.loadFrontier(frontier); err != nil {
		return nil, err
	}
	if err := t.recheck(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tree) loadFrontier(frontier []byte) error {
	filled := int(2*t.n - 1)
	mapLen := (filled + 7) / 8
	if len(frontier) < mapLen {
		return fmt.Errorf("%w: frontier bitmap truncated", ErrCorrupt)
	}
	bitmap, hashes := frontier[:mapLen], frontier[mapLen:]
	if r := filled % 8; r != 0 && bitmap[mapLen-1]>>r != 0 {
		return fmt.Errorf("%w: frontier bits past the last bin", ErrCorrupt)
	}
	rootSlot, _ := t.classify(t.RootBin())
	pos := 0
	for s := 0; s < filled; s++ {
		if bitmap[s/8]&(1<<(s%8)) == 0 {
			continue
		}
		if s == rootSlot {
			return fmt.Errorf("%w: root stored in frontier", ErrCorrupt)
		}
		if pos+t.hl > len(hashes) {
			return fmt.Errorf("%w: frontier hashes truncated", ErrCorrupt)
		}
		t.store(s, hashes[pos:pos+t.hl])
		pos += t.hl
	}
	if pos != len(hashes) {
		return fmt.Errorf("%w: %d stray bytes after frontier hashes", ErrCorrupt, len(hashes)-pos)
	}
	return nil
}

// recheck recomputes, bottom-up, every node whose children are both known, and requires
// that each known node has a known sibling: then all known hashes chain up to the root,
// and the root comparison vouches for all of them.
func (t *Tree) recheck() error {
	var h [MaxHashSize]byte
	check := func(y bins.Bin) error {
		left, lk := t.lookup(y.Left())
		right, rk := t.lookup(y.Right())
		if lk != rk {
			// A node past the end of the content is all zero without being stored
			// (§5.1); beside an unknown sibling there is nothing to check.
			if _, kind := t.classify(y.Right()); kind == kindEmpty {
				return nil
			}
			return binErr(y, fmt.Errorf("%w: only one child known", ErrCorrupt))
		}
		if !lk {
			return nil
		}
		t.p.Hash.sumPair(h[:t.hl], left, right)
		slot, _ := t.classify(y)
		if !t.isKnown(slot) {
			t.store(slot, h[:t.hl])
			return nil
		}
		if bytes.Equal(t.slotHash(slot), h[:t.hl]) {
			return nil
		}
		if y == t.RootBin() {
			return fmt.Errorf("%w: stored hashes do not lead to the root", ErrHashMismatch)
		}
		return binErr(y, fmt.Errorf("%w: node disagrees with its children", ErrCorrupt))
	}
	for l := uint(1); l <= t.top; l++ {
		for k := uint64(0); k < t.n>>l; k++ {
			if err := check(bins.New(l, k)); err != nil {
				return err
			}
		}
		if y := bins.New(l, (t.n-1)>>l); y.BaseRight() >= t.n {
			if err := check(y); err != nil {
				return err
			}
		}
	}
	return nil
}
