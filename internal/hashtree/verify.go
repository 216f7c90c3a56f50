package hashtree

import (
	"bytes"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// NewFromRoot makes the receiving side's tree: it trusts only the root hash (the swarm ID)
// and learns the other hashes as chunks verify. With p.Size = -1 the chunk count is unknown
// until AddPeaks succeeds (§5.6).
func NewFromRoot(root []byte, p Params) (*Tree, error) {
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	if len(root) != p.Hash.Size() {
		return nil, fmt.Errorf("hashtree: root of %d bytes for %v: %w", len(root), p.Hash, ErrBadLength)
	}
	var n uint64
	if p.Size > 0 {
		n = chunkCount(p.Size, p.ChunkSize)
	}
	return newTree(p, root, n), nil
}

// AddPeaks checks a list of peak hashes against the root (§5.6.1): climbing from the last
// peak, with all-zero padding on the right and earlier peaks on the left, must give the
// root. On success the peaks, the nodes computed on the way, and the chunk count they imply
// become known. peaks must be in sending order, largest first (§5.6.2).
func (t *Tree) AddPeaks(peaks []NodeHash) error {
	if t.disk != nil {
		return t.checkPeaksOnDisk(peaks)
	}
	n, err := t.peakShape(peaks)
	if err != nil {
		return err
	}
	if t.n != 0 && n != t.n {
		return fmt.Errorf("%w: peaks cover %d chunks, tree has %d", ErrBadPeaks, n, t.n)
	}
	if n > t.p.MaxChunks {
		return fmt.Errorf("%w: peaks cover %d chunks > %d", ErrTooLarge, n, t.p.MaxChunks)
	}
	top := topLayer(n)
	last := len(peaks) - 1
	cur := peaks[last].Bin
	acc := t.cur[:t.hl]
	copy(acc, peaks[last].Hash)
	np := 0
	for i := last - 1; cur.Layer() < top; cur = cur.Parent() {
		nxt := t.next[:t.hl]
		if cur.IsLeft() {
			t.p.Hash.sumPair(nxt, acc, zeroHash[:t.hl]) // nothing but padding to the right
		} else {
			// The left neighbour of a right child on the way up is always the next peak
			// to the left; peakShape made sure the list has that shape.
			if i < 0 || peaks[i].Bin != cur.Sibling() {
				return fmt.Errorf("%w: no peak at %v", ErrBadPeaks, cur.Sibling())
			}
			t.p.Hash.sumPair(nxt, peaks[i].Hash, acc)
			i--
		}
		copy(acc, nxt)
		t.pendBin[np] = cur.Parent()
		copy(t.pendHash[np][:], acc)
		np++
	}
	if !bytes.Equal(acc, t.root) {
		return fmt.Errorf("%w: peaks do not lead to the root", ErrHashMismatch)
	}
	if t.n == 0 {
		t.setN(n)
	}
	for _, pk := range peaks {
		slot, _ := t.classify(pk.Bin)
		t.store(slot, pk.Hash)
	}
	for j := range np {
		if slot, kind := t.classify(t.pendBin[j]); kind == kindIncomplete || kind == kindFilled {
			t.store(slot, t.pendHash[j][:])
		}
	}
	return nil
}

// peakShape checks that peaks could be the peaks of some tree (§5.6.1): the first starts at
// chunk 0, each starts where the previous ended, layers strictly decrease. It returns the
// chunk count they cover.
func (t *Tree) peakShape(peaks []NodeHash) (uint64, error) {
	if len(peaks) == 0 || len(peaks) > bins.MaxLayer {
		return 0, fmt.Errorf("%w: %d peaks", ErrBadPeaks, len(peaks))
	}
	var next uint64
	prev := uint(bins.MaxLayer)
	for _, pk := range peaks {
		b := pk.Bin
		if b == bins.None || b.Layer() >= prev || b.BaseLeft() != next {
			return 0, fmt.Errorf("%w: %v after chunk %d", ErrBadPeaks, b, next)
		}
		if len(pk.Hash) != t.hl {
			return 0, binErr(b, ErrBadLength)
		}
		prev = b.Layer()
		next += b.BaseLength()
	}
	return next, nil
}

// AddPeaksPrefix looks for the peak list at the start of cands, as libswift sends it to a
// peer that holds nothing yet: the peaks first, then the chunk's uncles (§5.6.2). It tries
// the longest prefix shaped like a peak list first and returns how many entries were the
// peaks.
func (t *Tree) AddPeaksPrefix(cands []NodeHash) (int, error) {
	longest := 0
	var next uint64
	prev := uint(bins.MaxLayer)
	for _, c := range cands {
		if c.Bin == bins.None || c.Bin.Layer() >= prev || c.Bin.BaseLeft() != next {
			break
		}
		prev, next = c.Bin.Layer(), next+c.Bin.BaseLength()
		longest++
	}
	err := fmt.Errorf("%w: no peak list at the start of %d hashes", ErrBadPeaks, len(cands))
	for k := longest; k >= 1; k-- {
		if err = t.AddPeaks(cands[:k]); err == nil {
			return k, nil
		}
	}
	return 0, err
}

// VerifyChunk checks chunk i against the root (§5.2): hash it, climb with known hashes or
// the candidate uncles in cands (as received in INTEGRITY messages) until a node that is
// already trusted, and compare. On success the chunk's hash, the nodes on the way and the
// uncles used become trusted, so the next chunk needs fewer uncles (§5.3); on failure
// nothing is kept. Candidates that are not needed are ignored.
func (t *Tree) VerifyChunk(i uint64, data []byte, cands []NodeHash) error {
	if i > bins.MaxChunk {
		return fmt.Errorf("%w: chunk %d", ErrOutOfRange, i)
	}
	return t.VerifyBin(bins.Chunk(i), data, cands)
}

// VerifyBin is VerifyChunk for a DATA message that carries the chunks of a whole bin: data
// holds those of its chunks that exist, back to back.
func (t *Tree) VerifyBin(b bins.Bin, data []byte, cands []NodeHash) error {
	if t.n == 0 {
		return ErrSizeUnknown
	}
	if _, kind := t.classify(b); kind != kindFilled && kind != kindIncomplete {
		return binErr(b, ErrOutOfRange)
	}
	if err := t.checkDataLen(b, len(data)); err != nil {
		return err
	}
	if t.disk != nil && b.Layer() > 0 {
		return binErr(b, ErrReadOnlyTree) // would store the bin's inner nodes
	}
	cur := t.cur[:t.hl]
	np := 0
	if b.Layer() == 0 {
		t.p.Hash.sum(cur, data)
	} else {
		t.hashSubtree(b, data)
		copy(cur, t.subHash(b, b))
	}
	for x := b; ; x = x.Parent() {
		if slot, kind := t.classify(x); (kind == kindFilled || kind == kindIncomplete) && t.isKnown(slot) {
			if !bytes.Equal(cur, t.slotHash(slot)) {
				return binErr(x, ErrHashMismatch)
			}
			break
		}
		// x is unknown, so it is not the root (always known): it has a sibling and parent.
		sib := x.Sibling()
		sh, ok := t.lookup(sib)
		if !ok {
			if sh = findCand(cands, sib); sh == nil {
				return binErr(sib, ErrMissingHash)
			}
			if len(sh) != t.hl {
				return binErr(sib, ErrBadLength)
			}
			t.pendBin[np] = sib
			copy(t.pendHash[np][:], sh)
			np++
		}
		t.pendBin[np] = x
		copy(t.pendHash[np][:], cur)
		np++
		nxt := t.next[:t.hl]
		if x.IsLeft() {
			t.p.Hash.sumPair(nxt, cur, sh)
		} else {
			t.p.Hash.sumPair(nxt, sh, cur)
		}
		copy(cur, nxt)
	}
	// Verified: keep what we learned.
	for j := range np {
		if slot, kind := t.classify(t.pendBin[j]); kind == kindFilled || kind == kindIncomplete {
			t.store(slot, t.pendHash[j][:])
		}
	}
	if b.Layer() > 0 {
		t.storeSubtree(b)
	}
	if b.BaseRight() >= t.n-1 && t.last == 0 {
		t.last = len(data) - int(t.n-1-b.BaseLeft())*t.p.ChunkSize
	}
	return nil
}

// checkDataLen enforces fixed-size chunks: every chunk but the last is exactly ChunkSize,
// the last is 1…ChunkSize bytes, or exactly its known length.
func (t *Tree) checkDataLen(b bins.Bin, got int) error {
	first := b.BaseLeft()
	lastChunk := min(b.BaseRight(), t.n-1)
	full := int(lastChunk-first+1) * t.p.ChunkSize
	lo, hi := full, full
	if lastChunk == t.n-1 {
		if t.last != 0 {
			lo = full - t.p.ChunkSize + t.last
			hi = lo
		} else {
			lo = full - t.p.ChunkSize + 1
		}
	}
	if got < lo || got > hi {
		return binErr(b, fmt.Errorf("%w: %d bytes of chunk data, want %d…%d", ErrBadLength, got, lo, hi))
	}
	return nil
}

func findCand(cands []NodeHash, b bins.Bin) []byte {
	for i := range cands {
		if cands[i].Bin == b {
			return cands[i].Hash
		}
	}
	return nil
}

// Subtree hashing for multi-chunk DATA. Nodes of the bin's subtree are kept in t.sub by
// their bin number relative to the subtree's first leaf.

func (t *Tree) subHash(root, b bins.Bin) []byte {
	rel := int(uint64(b) - 2*root.BaseLeft())
	return t.sub[rel*t.hl : (rel+1)*t.hl]
}

func (t *Tree) hashSubtree(root bins.Bin, data []byte) {
	width := root.BaseLength()
	need := int(2*width-1) * t.hl
	if cap(t.sub) < need {
		t.sub = make([]byte, need)
	}
	t.sub = t.sub[:need]
	clear(t.sub)
	first := root.BaseLeft()
	real := min(root.BaseRight(), t.n-1) - first + 1
	cs := t.p.ChunkSize
	for c := uint64(0); c < real; c++ {
		lo := int(c) * cs
		t.p.Hash.sum(t.subHash(root, bins.Chunk(first+c)), data[lo:min(lo+cs, len(data))])
	}
	for l := uint(1); l <= root.Layer(); l++ {
		for k := first >> l; k < (first+width)>>l; k++ {
			b := bins.New(l, k)
			if b.BaseLeft() >= t.n {
				break // padding stays all zero
			}
			t.p.Hash.sumPair(t.subHash(root, b), t.subHash(root, b.Left()), t.subHash(root, b.Right()))
		}
	}
}

func (t *Tree) storeSubtree(root bins.Bin) {
	first := root.BaseLeft()
	for rel := uint64(0); rel < 2*root.BaseLength()-1; rel++ {
		b := bins.Bin(2*first + rel)
		if slot, kind := t.classify(b); kind == kindFilled || kind == kindIncomplete {
			t.store(slot, t.subHash(root, b))
		}
	}
}
