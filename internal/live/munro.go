package live

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// MaxChunksPerSig bounds a munro's width. RFC 7574 leaves NCHUNKS_PER_SIG to the injector
// (§6.1.2.1); a peer learns it from the first munro, so a bound keeps a hostile one from
// making us allocate a huge subtree.
const MaxChunksPerSig = 1 << 12

// DefaultChunksPerSig is libswift's NCHUNKS_PER_SIG.
const DefaultChunksPerSig = 32

// checkChunksPerSig enforces §6.1.2.1: a fixed power of two larger than 1.
func checkChunksPerSig(n uint64) error {
	if n < 2 || n > MaxChunksPerSig || n&(n-1) != 0 {
		return fmt.Errorf("%w: %d chunks per signature, want a power of two from 2 to %d", ErrBadMunro, n, MaxChunksPerSig)
	}
	return nil
}

// munro holds the hashes of one signed subtree: its nodes in bin order relative to the
// subtree (leaf k at bin 2k), whether each is trusted, and which chunks were verified.
type munro struct {
	index  uint64 // the subtree covers chunks index*n .. index*n+n-1
	n      uint64
	hl     int
	hashes []byte // (2n-1) hashes
	known  []bool // per node: hash verified against the signed munro hash
	have   []bool // per chunk: chunk data verified
	// signed holds the munro's signature in each form it is signed in (signedIn): a source
	// signs in every form it serves, a verifier keeps each form it received validly signed,
	// so that it can forward the munro to peers of that form (§6.1.2.3). All share one hash.
	signed   [formCount]SignedMunro
	signedIn [formCount]bool
}

// signedAs returns the munro signed in form f, if it is held in that form.
func (m *munro) signedAs(f Form) (SignedMunro, bool) {
	if !f.valid() || !m.signedIn[f] {
		return SignedMunro{}, false
	}
	return m.signed[f], true
}

// setSigned keeps sm as the munro's signature in form f, which must be valid.
func (m *munro) setSigned(f Form, sm SignedMunro) {
	m.signed[f], m.signedIn[f] = sm, true
}

// forms lists the forms the munro is held in, for error messages.
func (m *munro) forms() []Form {
	var out []Form
	for f := range formCount {
		if m.signedIn[f] {
			out = append(out, f)
		}
	}
	return out
}

func newMunro(index, n uint64, hl int) *munro {
	return &munro{index: index, n: n, hl: hl, hashes: make([]byte, int(2*n-1)*hl), known: make([]bool, 2*n-1), have: make([]bool, n)}
}

func (m *munro) start() uint64 { return m.index * m.n }
func (m *munro) end() uint64   { return m.start() + m.n - 1 }
func (m *munro) top() bins.Bin { return bins.New(uint(bits.TrailingZeros64(m.n)), 0) }
func (m *munro) hash(b bins.Bin) []byte {
	i := int(b) * m.hl
	return m.hashes[i : i+m.hl : i+m.hl]
}

func (m *munro) set(b bins.Bin, h []byte) {
	copy(m.hash(b), h)
	m.known[b] = true
}

// relBin is the bin, relative to the subtree, of the chunk range start..end; false when
// the range is not one node of this subtree.
func (m *munro) relBin(start, end uint64) (bins.Bin, bool) {
	if start < m.start() || end > m.end() || end < start {
		return bins.None, false
	}
	return bins.ChunkRange{Start: start - m.start(), End: end - m.start()}.Bin()
}

// fillFromLeaves computes every inner node from the leaves (the source side, §5.1's rule:
// a node is H(left ‖ right); a munro is always full, so no zero padding occurs).
func (m *munro) fillFromLeaves(hf hashtree.HashFunc) {
	buf := make([]byte, 0, 2*m.hl)
	for layer := uint(1); 1<<layer <= m.n; layer++ {
		for off := uint64(0); off < m.n>>layer; off++ {
			b := bins.New(layer, off)
			buf = append(append(buf[:0], m.hash(b.Left())...), m.hash(b.Right())...)
			m.set(b, hf.Sum(m.hash(b)[:0], buf))
		}
	}
}

// climb checks chunk k's hash leaf against the trusted nodes, taking missing uncles from
// cands. It records nothing; on success it returns the nodes that became trusted.
func (m *munro) climb(hf hashtree.HashFunc, k uint64, leaf []byte, cands []Node) ([]pending, error) {
	var out []pending
	b, h := bins.Chunk(k), leaf
	buf := make([]byte, 0, 2*m.hl)
	for !m.known[b] {
		if b == m.top() {
			// Unreachable: the top is trusted once the munro is accepted. Kept so a
			// broken invariant fails verification instead of looping.
			return nil, fmt.Errorf("%w: munro hash not trusted", ErrHashMismatch)
		}
		sib := b.Sibling()
		sh := m.hashOrCand(sib, cands)
		if sh == nil {
			r := sib.Range()
			return nil, fmt.Errorf("%w: chunks %d-%d for chunk %d", ErrMissingHash, m.start()+r.Start, m.start()+r.End, m.start()+k)
		}
		out = append(out, pending{b, h}, pending{sib, sh})
		if b.IsLeft() {
			buf = append(append(buf[:0], h...), sh...)
		} else {
			buf = append(append(buf[:0], sh...), h...)
		}
		b, h = b.Parent(), hf.Sum(nil, buf)
	}
	if !bytes.Equal(m.hash(b), h) {
		r := b.Range()
		return nil, fmt.Errorf("%w: chunk %d does not reproduce the hash of chunks %d-%d", ErrHashMismatch, m.start()+k, m.start()+r.Start, m.start()+r.End)
	}
	return out, nil
}

type pending struct {
	b bins.Bin
	h []byte
}

// hashOrCand returns a trusted hash for b, or else the candidate a peer sent for it.
func (m *munro) hashOrCand(b bins.Bin, cands []Node) []byte {
	if m.known[b] {
		return m.hash(b)
	}
	for _, c := range cands {
		if rb, ok := m.relBin(c.Start, c.End); ok && rb == b && len(c.Hash) == m.hl {
			return c.Hash
		}
	}
	return nil
}

// uncles lists the sibling hashes from chunk k up to, not including, the munro: what a
// peer needs besides the signed munro to verify chunk k (§6.1.2.3), top-down as libswift
// sends them. Each must be trusted.
func (m *munro) uncles(k uint64) ([]Node, bool) {
	var out []Node
	for b := bins.Chunk(k); b != m.top(); b = b.Parent() {
		sib := b.Sibling()
		if !m.known[sib] {
			return nil, false
		}
		r := sib.Range()
		out = append(out, Node{Start: m.start() + r.Start, End: m.start() + r.End, Hash: bytes.Clone(m.hash(sib))})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, true
}

// leafBin is chunk k's bin relative to its subtree.
func leafBin(k uint64) bins.Bin { return bins.Chunk(k) }
