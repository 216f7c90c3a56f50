package hashtree

import (
	"bytes"
	"fmt"
	"io"
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

// Frontier encodings: the known hashes of a partial tree, as a checkpoint keeps them. The
// hashes saved are the known nodes whose children are unknown (the leaves of the known
// part); every other known hash is recomputed from them, and all of them are checked up
// to the root, when restoring.
//
// A tree over N chunks is padded to W = 2^top leaves (RFC 7574 §5.1). Its nodes are
// "filled" (every chunk they cover exists; bins 0 … 2N−2), "empty" (only padding; all zero,
// never stored), or on the right edge: the one node per layer that covers chunk N−1 and
// padding, bin (l, (N−1)>>l) at each layer l where N is not a multiple of 2^l. Edge nodes
// lie outside bins 0 … 2N−2 or are not filled, and a seeder sends them as uncles before the
// last chunk arrives (for 9 chunks, bin 23 = chunks 8…15 is the uncle of chunks 0…7).

// FrontierFormat is the layout of a frontier encoding.
type FrontierFormat uint8

const (
	// FrontierFilled (checkpoint format 1): a bitmap of 2N−1 bits, bit b (byte b/8, value
	// 1<<(b%8)) set when filled bin b is included, then the included hashes in ascending
	// bin order. It cannot hold edge nodes, so a tree that knows an edge node but not the
	// nodes below it (a download without its last chunk, whose seeder sent uncles up to
	// the root) does not restore from it. Read only, for old checkpoints.
	FrontierFilled FrontierFormat = 1
	// FrontierEdge (checkpoint format 2): the FrontierFilled bitmap, then an edge bitmap
	// of top+1 bits, ceil((top+1)/8) bytes, bit l (byte l/8, value 1<<(l%8)) set when the
	// edge node at layer l is included; then the included filled hashes in ascending bin
	// order, then the included edge hashes in ascending layer order. AppendFrontier
	// writes it.
	FrontierEdge FrontierFormat = 2
)

// AppendFrontier appends the FrontierEdge encoding of the known hashes: the smallest set
// from which Restore rebuilds every known hash. Nothing when N is unknown. The root is
// never included: it is the swarm ID, stored elsewhere.
func (t *Tree) AppendFrontier(dst []byte) []byte {
	if t.n == 0 {
		return dst
	}
	filled := int(2*t.n - 1)
	rootSlot, _ := t.classify(t.RootBin())
	mapStart := len(dst)
	edgeStart := mapStart + (filled+7)/8
	dst = append(dst, make([]byte, frontierMapLen(t.n, FrontierEdge))...)
	count := 0
	for s := 0; s < filled; s++ {
		if t.inFrontier(s, bins.Bin(s), rootSlot) {
			dst[mapStart+s/8] |= 1 << (s % 8)
			count++
		}
	}
	for l := uint(1); l <= t.top; l++ {
		if slot, ok := t.edgeSlot(l); ok && t.inFrontier(slot, t.edgeBin(l), rootSlot) {
			dst[edgeStart+int(l/8)] |= 1 << (l % 8)
			count++
		}
	}
	dst = slices.Grow(dst, count*t.hl)
	for s := 0; s < filled; s++ {
		if dst[mapStart+s/8]&(1<<(s%8)) != 0 {
			dst = append(dst, t.slotHash(s)...)
		}
	}
	for l := uint(1); l <= t.top; l++ {
		if dst[edgeStart+int(l/8)]&(1<<(l%8)) != 0 {
			slot, _ := t.edgeSlot(l)
			dst = append(dst, t.slotHash(slot)...)
		}
	}
	return dst
}

// inFrontier reports whether node b, stored in slot, belongs to the frontier: known, not
// the root, and a leaf or with an unknown left child. (A known node's children are known
// together or not at all, except that a child covering only padding is always known.)
func (t *Tree) inFrontier(slot int, b bins.Bin, rootSlot int) bool {
	if !t.isKnown(slot) || slot == rootSlot {
		return false
	}
	if b.Layer() == 0 {
		return true
	}
	// The left child covers chunk b.BaseLeft() < N: it is filled or an edge node.
	left, _ := t.classify(b.Left())
	return !t.isKnown(left)
}

// edgeBin is the node at layer l that covers the last chunk.
func (t *Tree) edgeBin(l uint) bins.Bin { return bins.New(l, (t.n-1)>>l) }

// edgeSlot returns the slot of the edge node at layer l, or false when the node covering
// the last chunk at that layer is filled (N is a multiple of 2^l).
func (t *Tree) edgeSlot(l uint) (int, bool) {
	slot, kind := t.classify(t.edgeBin(l))
	return slot, kind == kindIncomplete
}

// frontierMapLen is the length of the bitmaps of a frontier encoding for n > 0 chunks.
func frontierMapLen(n uint64, f FrontierFormat) int {
	l := int((2*n - 1 + 7) / 8)
	if f == FrontierEdge {
		l += int(topLayer(n)+8) / 8
	}
	return l
}

// FrontierLen is the length of an AppendFrontier encoding for n chunks that includes k
// hashes.
func FrontierLen(n uint64, k int, hf HashFunc) int {
	if n == 0 {
		return 0
	}
	return frontierMapLen(n, FrontierEdge) + k*hf.Size()
}

// Restore rebuilds a tree from its root, parameters, chunk count (0 if unknown) and an
// AppendFrontier encoding; it is RestoreFormat with FrontierEdge.
func Restore(root []byte, p Params, n uint64, frontier []byte) (*Tree, error) {
	return RestoreFormat(root, p, n, frontier, FrontierEdge)
}

// RestoreFormat rebuilds a tree from its root, parameters, chunk count (0 if unknown) and
// a frontier encoding in format f. Every inner node is recomputed bottom-up; a stored node
// must agree with its recomputed value, every known node must have a known sibling, and
// the recomputed root must equal root. So even a checkpoint whose checksum matches cannot
// make the tree trust a wrong hash.
func RestoreFormat(root []byte, p Params, n uint64, frontier []byte, f FrontierFormat) (*Tree, error) {
	if f != FrontierFilled && f != FrontierEdge {
		return nil, fmt.Errorf("hashtree: frontier format %d", f)
	}
	// Compare the stored count with the size before NewFromRoot allocates the tree for
	// the size: a stored size can claim up to MaxChunks chunks (gigabytes of hashes).
	if np, err := p.normalize(); err == nil && np.Size > 0 && n != 0 {
		if want := chunkCount(np.Size, np.ChunkSize); want != n {
			return nil, fmt.Errorf("%w: %d chunks stored, size gives %d", ErrCorrupt, n, want)
		}
	}
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
	if err := t.loadFrontier(frontier, f); err != nil {
		return nil, err
	}
	if err := t.recheck(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadFrontier stores the hashes of a frontier encoding, unchecked, after checking its
// shape: every bit set must name a filled or edge node other than the root, and the
// hashes must fill the rest exactly.
func (t *Tree) loadFrontier(frontier []byte, f FrontierFormat) error {
	filled := int(2*t.n - 1)
	mapLen := frontierMapLen(t.n, f)
	if len(frontier) < mapLen {
		return fmt.Errorf("%w: frontier bitmap truncated", ErrCorrupt)
	}
	filledMap := frontier[:(filled+7)/8]
	edgeMap := frontier[len(filledMap):mapLen]
	hashes := frontier[mapLen:]
	if r := filled % 8; r != 0 && filledMap[len(filledMap)-1]>>r != 0 {
		return fmt.Errorf("%w: frontier bits past the last bin", ErrCorrupt)
	}
	rootSlot, _ := t.classify(t.RootBin())
	pos := 0
	take := func(slot int) error {
		if slot == rootSlot {
			return fmt.Errorf("%w: root stored in frontier", ErrCorrupt)
		}
		if pos+t.hl > len(hashes) {
			return fmt.Errorf("%w: frontier hashes truncated", ErrCorrupt)
		}
		t.store(slot, hashes[pos:pos+t.hl])
		pos += t.hl
		return nil
	}
	for s := 0; s < filled; s++ {
		if filledMap[s/8]&(1<<(s%8)) == 0 {
			continue
		}
		// Some numbers below 2N−1 are not filled bins (for 3 chunks, bin 3 is the
		// root over chunks 0…3); no encoder sets them.
		if _, kind := t.classify(bins.Bin(s)); kind != kindFilled {
			return binErr(bins.Bin(s), fmt.Errorf("%w: frontier names a node that is not filled", ErrCorrupt))
		}
		if err := take(s); err != nil {
			return err
		}
	}
	for l := uint(0); l < uint(len(edgeMap))*8; l++ {
		if edgeMap[l/8]&(1<<(l%8)) == 0 {
			continue
		}
		if l == 0 || l > t.top {
			return fmt.Errorf("%w: frontier edge bit for layer %d of %d", ErrCorrupt, l, t.top)
		}
		slot, ok := t.edgeSlot(l)
		if !ok {
			return binErr(t.edgeBin(l), fmt.Errorf("%w: frontier edge node is filled", ErrCorrupt))
		}
		if err := take(slot); err != nil {
			return err
		}
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

// WriteMhash writes the tree in libswift's .mhash layout (as AppendMhash) to w, a piece at
// a time, so that a large tree is not copied whole in memory. A tree on disk (OpenLayers)
// already is a file in that layout and is refused.
func (t *Tree) WriteMhash(w io.Writer) error {
	if t.disk != nil {
		return fmt.Errorf("hashtree: WriteMhash of a tree on disk")
	}
	const piece = 4096 // hashes per write
	buf := make([]byte, 0, piece*t.hl)
	slots := int(2 * t.n)
	for s := 0; s < slots; s++ {
		if s < int(2*t.n-1) && t.isKnown(s) {
			buf = append(buf, t.slotHash(s)...)
		} else {
			buf = append(buf, zeroHash[:t.hl]...)
		}
		if len(buf) == cap(buf) || s == slots-1 {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("hashtree: writing hashes: %w", err)
			}
			buf = buf[:0]
		}
	}
	return nil
}
