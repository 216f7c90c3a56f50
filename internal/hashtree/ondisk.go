package hashtree

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// A complete tree need not live in memory: its hashes can stay in a file in libswift's
// .mhash layout (2N hashes indexed by bin number, AppendMhash) and be read when a peer needs
// uncles or a read needs a leaf. A Tree made by OpenLayers does that: it holds a small
// cache of file pages and the at most top hashes of the nodes on the right edge, which the
// layout cannot hold; every other hash is read on demand.

// Layer-file page cache: pages of layerPageHashes hashes, at most layerCachePages of them.
// Uncles for a chunk lie near it in bin order except for the few high ones, so a peer
// downloading in order hits a handful of pages; 64 pages of SHA-1 hashes are 320 KiB.
const (
	layerPageHashes = 256
	layerCachePages = 64
)

// diskHashes reads a complete tree's hashes from a layer file. Pages read are never
// changed or reused (an evicted page is only dropped), so a hash slice handed out stays
// valid as long as the caller holds it.
type diskHashes struct {
	r    io.ReaderAt
	base int64 // file offset of bin 0's hash

	mu    sync.Mutex
	pages map[int64][]byte
	fifo  []int64  // page numbers in the order they were read, for eviction
	edges [][]byte // the incomplete node at each layer, nil where there is none
	err   error    // the first read error, for Err
	last  error    // the latest read error, for the error of a lookup that failed

	// Page verification (ondisk_verify.go), on once OpenLayers has checked the root: every
	// page in pages has been checked, trusted holds verified nodes above the pages.
	verify  bool
	trusted map[bins.Bin][]byte
	calc    []byte // scratch: the recomputed subtree of a page
	corrupt atomic.Uint64
	onBad   func(error) // OnCorruptPage's f
}

// slot returns the hash in slot, reading its page when not cached.
func (d *diskHashes) slot(t *Tree, slot int) ([]byte, bool) {
	if slot >= int(2*t.n-1) {
		l := slot - int(2*t.n-1)
		if l < len(d.edges) && d.edges[l] != nil {
			return d.edges[l], true
		}
		return nil, false
	}
	hl := t.hl
	page := int64(slot / layerPageHashes)
	d.mu.Lock()
	defer d.mu.Unlock()
	if at := slot % layerPageHashes; (at == layerPageHashes/2-1 || at == layerPageHashes-1) && d.verify {
		// A node at layer 7 or above: an earlier climb may have proven it, and then its page
		// need not be read (high uncles lie in pages of their own).
		if h, ok := d.trusted[bins.Bin(slot)]; ok {
			return h, true
		}
	}
	p, ok := d.pages[page]
	if !ok {
		var err error
		p, err = d.readPage(t, page)
		if err == nil && d.verify {
			err = d.checkPage(t, page, p)
		}
		if err != nil {
			if d.err == nil {
				d.err = err
			}
			d.last = err
			if d.onBad != nil && errors.Is(err, ErrCorruptLayers) {
				d.onBad(err)
			}
			return nil, false
		}
		d.remember(page, p)
	}
	at := (slot % layerPageHashes) * hl
	if at+hl > len(p) {
		return nil, false
	}
	return p[at : at+hl : at+hl], true
}

// slotOrZero is slot for callers that cannot report an error: an unreadable hash is all
// zero, which no verification accepts.
func (d *diskHashes) slotOrZero(t *Tree, slot int) []byte {
	if h, ok := d.slot(t, slot); ok {
		return h
	}
	return zeroHash[:t.hl:t.hl]
}

func (d *diskHashes) readPage(t *Tree, page int64) ([]byte, error) {
	hl := int64(t.hl)
	slots := int64(2*t.n - 1)
	first := page * layerPageHashes
	count := min(int64(layerPageHashes), slots-first)
	buf := make([]byte, count*hl)
	got, err := d.r.ReadAt(buf, d.base+first*hl)
	if int64(got) == count*hl {
		return buf, nil
	}
	return nil, fmt.Errorf("hashtree: reading hashes at slot %d: %w", first, eofIsUnexpected(err))
}

// eofIsUnexpected is the error of a read that came back short.
func eofIsUnexpected(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *diskHashes) remember(page int64, p []byte) {
	if len(d.fifo) >= layerCachePages {
		delete(d.pages, d.fifo[0])
		d.fifo = d.fifo[1:]
	}
	d.pages[page] = p
	d.fifo = append(d.fifo, page)
}

// OpenLayers makes a complete tree whose hashes are read from r on demand: the hash of bin
// b at offset base + b·H (libswift's .mhash layout, as WriteLayers writes it). p.Size must be
// the content length. The nodes on the right edge are computed from the file and the root
// they lead to must be root, so a file for other content or another chunk size is refused;
// every other page of hashes is checked against the root when it is read (ondisk_verify.go),
// and a page that fails is never used: lookups in it fail with ErrCorruptLayers (and
// CorruptPages counts it). The tree is read-only: it verifies chunks against its leaves but never
// learns hashes.
func OpenLayers(root []byte, p Params, r io.ReaderAt, base int64) (*Tree, error) {
	if p.MaxChunks == 0 {
		p.MaxChunks = 1 << 40 // the bound protects memory; these hashes stay on disk
	}
	p, err := p.normalize()
	if err != nil {
		return nil, err
	}
	if len(root) != p.Hash.Size() {
		return nil, fmt.Errorf("hashtree: root of %d bytes: %w", len(root), ErrBadLength)
	}
	t, err := openLayersNoRoot(p, r, base)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(t.root, root) {
		return nil, fmt.Errorf("%w: hashes on disk lead to %x, not the root", ErrHashMismatch, t.root)
	}
	// The edges and root are proven now; from here on every page is checked as it is read.
	t.disk.verify = true
	t.disk.trusted = make(map[bins.Bin][]byte)
	return t, nil
}

// openLayersNoRoot is OpenLayers for normalized p, with the root taken from the file.
func openLayersNoRoot(p Params, r io.ReaderAt, base int64) (*Tree, error) {
	if p.Size <= 0 {
		return nil, fmt.Errorf("hashtree: hashes on disk need the content size: %w", ErrSizeUnknown)
	}
	n := chunkCount(p.Size, p.ChunkSize)
	t := &Tree{p: p, hl: p.Hash.Size(), n: n, top: topLayer(n)}
	t.last = int(p.Size - int64(n-1)*int64(p.ChunkSize))
	t.disk = &diskHashes{r: r, base: base, pages: make(map[int64][]byte), edges: make([][]byte, t.top+1)}
	for l := uint(1); l <= t.top; l++ {
		b := t.edgeBin(l)
		if _, kind := t.classify(b); kind != kindIncomplete {
			continue
		}
		left, errL := t.disk.openHash(t, b.Left())
		right, errR := t.disk.openHash(t, b.Right())
		if err := errors.Join(errL, errR); err != nil {
			return nil, fmt.Errorf("hashtree: hashes on disk: %w", err)
		}
		h := make([]byte, t.hl)
		p.Hash.sumPair(h, left, right)
		t.disk.edges[l] = h
	}
	got, err := t.disk.openHash(t, t.RootBin())
	if err != nil {
		return nil, fmt.Errorf("hashtree: hashes on disk: %w", err)
	}
	t.root = got
	return t, nil
}

// openHash is lookup while the tree is opened: hashes are read one by one and not cached,
// since no page can be checked before the root is; the comparison with the root then
// proves the ones read here.
func (d *diskHashes) openHash(t *Tree, b bins.Bin) ([]byte, error) {
	slot, kind := t.classify(b)
	switch kind {
	case kindEmpty:
		return zeroHash[:t.hl:t.hl], nil
	case kindIncomplete:
		if e := d.edges[b.Layer()]; e != nil {
			return e, nil
		}
	case kindFilled:
		return d.readHash(t, slot)
	}
	return nil, fmt.Errorf("%w: no hash for bin %v", ErrCorrupt, b)
}

// lookupErr is why a lookup in a tree on disk failed: the latest read or check error.
func (d *diskHashes) lookupErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil {
		return d.last
	}
	return ErrCorrupt
}

// OnDisk reports whether the tree's hashes are read from a file (OpenLayers).
func (t *Tree) OnDisk() bool { return t.disk != nil }

// checkPeaksOnDisk is AddPeaks for a tree on disk: it knows every peak already, so the list
// is only compared with them.
func (t *Tree) checkPeaksOnDisk(peaks []NodeHash) error {
	want := AppendPeakBins(nil, t.n)
	if len(peaks) != len(want) {
		return fmt.Errorf("%w: %d peaks, tree has %d", ErrBadPeaks, len(peaks), len(want))
	}
	for i, pk := range peaks {
		h, ok := t.lookup(want[i])
		if pk.Bin != want[i] || !ok || !bytes.Equal(h, pk.Hash) {
			return fmt.Errorf("%w: peak %v", ErrBadPeaks, pk.Bin)
		}
	}
	return nil
}

// cachedPages is the number of file pages held, for tests of the cache bound.
func (t *Tree) cachedPages() int {
	if t.disk == nil {
		return 0
	}
	t.disk.mu.Lock()
	defer t.disk.mu.Unlock()
	return len(t.disk.pages)
}
