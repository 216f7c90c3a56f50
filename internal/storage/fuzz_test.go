package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/bits"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint decoder: never a panic. Each input
// is also tried with its CRC fixed up, so that the fuzzer reaches the hashes behind it:
// whatever it restores (for this swarm, size known or not) may hold only true hashes. The
// seeds (real checkpoints of versions 1 and 2, cut and mangled) also go through Open, which
// must then read only true content; that part is too slow (files, fsync) to run on every
// fuzzed input.
func FuzzCheckpoint(f *testing.F) {
	w := newSwarm(f, 41, 20*64+5, 64, hashtree.SHA1) // 21 chunks: edge nodes on layers 1…4
	dir := f.TempDir()
	o := w.opts(dir, int64(len(w.content)))
	writeFile(f, o.ContentPath, w.content)
	s, err := Seed(context.Background(), o)
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	good := readFile(f, o.CheckpointPath)
	seeds := [][]byte{good, good[:len(good)/2], []byte("PPSPPDCK")}
	// Partial downloads: chunk 0 with uncles to the root (an edge node in the frontier),
	// and chunks 0 and 7 after the peaks (none), also as version 1.
	for _, m := range []seederMode{seederModes[0], seederModes[2]} {
		size := int64(-1)
		if m.sizeKnown {
			size = int64(len(w.content))
		}
		po := w.opts(f.TempDir(), size)
		ps := open(f, po)
		have := haveSet{}
		for _, i := range []uint64{0, 7} {
			w.deliver(f, ps, i, have, m)
		}
		closeStore(f, ps)
		ckpt := readFile(f, po.CheckpointPath)
		seeds = append(seeds, ckpt)
		if v1, ok := asVersion1(ckpt); ok {
			seeds = append(seeds, v1)
		}
	}
	for _, name := range []string{"v1-10chunks-1-2-6-9.ckpt", "v1-8chunks-sizeunknown-0-5.ckpt"} {
		seeds = append(seeds, readFile(f, filepath.Join("testdata", name)))
	}
	isSeed := map[string]bool{}
	for _, b := range seeds {
		f.Add(b)
		isSeed[string(b)] = true
	}
	known, unknown := &Store{opts: o}, &Store{opts: w.opts(dir, -1)}
	f.Fuzz(func(t *testing.T, b []byte) {
		inputs := [][]byte{b}
		if len(b) >= ckptHeaderLen+ckptCRCLen {
			inputs = append(inputs, resign(bytes.Clone(b)))
		}
		for _, in := range inputs {
			_, _ = decodeCheckpoint(in)
			for _, s := range []*Store{known, unknown} {
				if st, _, err := s.fromCheckpoint(in, int64(len(w.content))); err == nil {
					w.checkTrusted(t, st.tree)
				}
			}
		}
		if !isSeed[string(b)] {
			return
		}
		d := t.TempDir()
		oo := w.opts(d, int64(len(w.content)))
		writeFile(t, oo.ContentPath, w.content)
		if err := os.WriteFile(oo.CheckpointPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Open(context.Background(), oo)
		if err != nil {
			return
		}
		defer st.Close()
		w.checkReads(t, st)
	})
}

// checkTrusted fails the test if tree trusts a hash the seeder's complete tree disagrees
// with, for any node of the padded tree.
func (w *swarm) checkTrusted(t *testing.T, tree *hashtree.Tree) {
	t.Helper()
	if tree.NumChunks() == 0 {
		return
	}
	if tree.NumChunks() != w.n() {
		t.Fatalf("restored %d chunks, the swarm has %d", tree.NumChunks(), w.n())
	}
	width := uint64(1) << bits.Len64(w.n()-1)
	for b := bins.Bin(0); uint64(b) < 2*width-1; b++ {
		got, ok := tree.Hash(b)
		if !ok {
			continue
		}
		if want, _ := w.seeder.Hash(b); !bytes.Equal(got, want) {
			t.Fatalf("restored tree trusts a wrong hash for %v", b)
		}
	}
}

// asVersion1 rewrites a version 2 checkpoint whose frontier holds no edge node as the
// version 1 file the old encoder wrote for the same tree: the same without the edge
// bitmap. It reports false when the checkpoint has edge nodes (version 1 cannot hold
// them) or no chunk count.
func asVersion1(ckpt []byte) ([]byte, bool) {
	c, err := decodeCheckpoint(ckpt)
	if err != nil || c.n == 0 {
		return nil, false
	}
	top := bits.Len64(c.n - 1)
	edgeAt := ckptHeaderLen + len(c.root) + int((c.n+7)/8) + int((2*c.n-1+7)/8)
	edgeLen := (top + 8) / 8
	if bytes.Count(ckpt[edgeAt:edgeAt+edgeLen], []byte{0}) != edgeLen {
		return nil, false
	}
	v1 := bytes.Clone(ckpt[:edgeAt])
	v1 = append(v1, ckpt[edgeAt+edgeLen:]...)
	binary.BigEndian.PutUint16(v1[8:], ckptVersion1)
	payload := binary.BigEndian.Uint64(v1[40:])
	binary.BigEndian.PutUint64(v1[40:], payload-uint64(edgeLen))
	return resign(v1), true
}
