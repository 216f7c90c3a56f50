package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"runtime"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// abandon drops a store without writing a checkpoint, as a crash would.
func abandon(s *Store) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.f.Close()
	}
}

// fixture is a small swarm with two stores on disk: a partial download and a complete one,
// each with a fresh checkpoint.
type fixture struct {
	w                 *swarm
	partial, complete Options
	held              map[uint64]bool // chunks of the partial store
	ckptP, ckptC      []byte
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	w := newSwarm(t, 10, 9*64+20, 64, hashtree.SHA1) // 10 chunks, short last one
	fx := &fixture{w: w, held: map[uint64]bool{1: true, 2: true, 6: true, 9: true}}
	fx.partial = w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, fx.partial)
	have := haveSet{}
	for _, i := range []uint64{1, 2, 6, 9} {
		w.put(t, s, i, have, hashtree.ToRoot)
	}
	closeStore(t, s)
	fx.complete = w.opts(t.TempDir(), int64(len(w.content)))
	s = open(t, fx.complete)
	for i := uint64(0); i < w.n(); i++ {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	closeStore(t, s)
	fx.ckptP = readFile(t, fx.partial.CheckpointPath)
	fx.ckptC = readFile(t, fx.complete.CheckpointPath)
	// With its checkpoint damaged nothing proves the partial file ours, and Open would
	// refuse it (TestNotOursRefused). These tests are about what Open trusts once it may
	// write the file, so they take it over.
	fx.partial.Force = true
	return fx
}

// reopen writes ckpt as the checkpoint of o, opens the store and checks that no read
// returns a wrong byte. It returns the recovery record and the readable chunk count.
func (fx *fixture) reopen(t *testing.T, o Options, ckpt []byte) (Recovery, int) {
	t.Helper()
	writeFile(t, o.CheckpointPath, ckpt)
	s := open(t, o)
	defer abandon(s)
	return s.Recovery(), fx.w.checkReads(t, s)
}

func resign(b []byte) []byte {
	n := len(b) - ckptCRCLen
	binary.BigEndian.PutUint32(b[n:], crc32.Checksum(b[:n], castagnoli))
	return b
}

// TestCheckpointTruncated cuts the checkpoint at every length: it is never used, the
// complete store recovers by rehashing its content, the partial one starts empty, and no
// read returns a wrong byte.
func TestCheckpointTruncated(t *testing.T) {
	fx := newFixture(t)
	for cut := range len(fx.ckptP) {
		rec, readable := fx.reopen(t, fx.partial, fx.ckptP[:cut])
		if rec.From != "empty" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) || readable != 0 {
			t.Fatalf("partial cut at %d: %+v, %d readable", cut, rec, readable)
		}
	}
	for cut := range len(fx.ckptC) {
		rec, readable := fx.reopen(t, fx.complete, fx.ckptC[:cut])
		if rec.From != "rehash" || rec.CheckpointErr == nil || readable != int(fx.w.n()) {
			t.Fatalf("complete cut at %d: %+v, %d readable", cut, rec, readable)
		}
	}
}

// TestCheckpointBitFlips flips every bit of both checkpoints: the CRC rejects each one.
func TestCheckpointBitFlips(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		o        Options
		ckpt     []byte
		from     string
		readable int
	}{{fx.partial, fx.ckptP, "empty", 0}, {fx.complete, fx.ckptC, "rehash", int(fx.w.n())}} {
		for i := range len(c.ckpt) * 8 {
			bad := append([]byte(nil), c.ckpt...)
			bad[i/8] ^= 1 << (i % 8)
			rec, readable := fx.reopen(t, c.o, bad)
			if rec.From != c.from || readable != c.readable {
				t.Fatalf("bit %d: %+v, %d readable", i, rec, readable)
			}
		}
	}
}

// TestCheckpointResigned changes every byte of the partial store's checkpoint and fixes
// up the CRC, as a bug or a deliberate edit would. Only changes to the verified-chunk
// bitmap may be accepted (reads then re-check the content); anything else, including
// every hash byte, is rejected by the format or by rehashing up to the root.
func TestCheckpointResigned(t *testing.T) {
	fx := newFixture(t)
	hl := fx.w.hf.Size()
	mapStart := ckptHeaderLen + hl
	mapEnd := mapStart + int((fx.w.n()+7)/8)
	for i := range len(fx.ckptP) - ckptCRCLen {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			bad := append([]byte(nil), fx.ckptP...)
			bad[i] ^= x
			rec, readable := fx.reopen(t, fx.partial, resign(bad))
			accepted := rec.From == "checkpoint"
			if accepted && (i < mapStart || i >= mapEnd) {
				t.Fatalf("byte %d ^ %#x accepted", i, x)
			}
			if readable > len(fx.held) {
				t.Fatalf("byte %d ^ %#x: %d chunks readable, only %d were written", i, x, readable, len(fx.held))
			}
		}
	}
	// Version: a clear error of its own for versions this build does not know; a known
	// but wrong one (the file relabelled as version 1) does not parse.
	for _, v := range []uint16{0, 3, 0xffff} {
		bad := append([]byte(nil), fx.ckptP...)
		binary.BigEndian.PutUint16(bad[8:], v)
		rec, _ := fx.reopen(t, fx.partial, resign(bad))
		if !errors.Is(rec.CheckpointErr, ErrCheckpointVersion) {
			t.Fatalf("version %d: %v", v, rec.CheckpointErr)
		}
	}
	bad := append([]byte(nil), fx.ckptP...)
	binary.BigEndian.PutUint16(bad[8:], 1)
	rec, _ := fx.reopen(t, fx.partial, resign(bad))
	if rec.From == "checkpoint" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) {
		t.Fatalf("relabelled as version 1: %+v", rec)
	}
	// Claiming a chunk that was never written (count fixed up too): refused when its hash
	// is unknown; when its hash is known (a sibling of a held chunk) the claim is taken,
	// but reading the chunk fails the hash check and drops it.
	for i := uint64(0); i < fx.w.n(); i++ {
		if fx.held[i] {
			continue
		}
		bad := append([]byte(nil), fx.ckptP...)
		bad[mapStart+int(i/8)] |= 1 << (i % 8)
		binary.BigEndian.PutUint64(bad[32:], uint64(len(fx.held)+1))
		rec, readable := fx.reopen(t, fx.partial, resign(bad))
		hashKnown := fx.held[i^1] // chunk i's leaf hash came as the uncle of its sibling
		if (rec.From == "checkpoint") != hashKnown || readable != len(fx.held)*btoi(hashKnown) {
			t.Fatalf("claimed chunk %d: %+v, %d readable", i, rec, readable)
		}
	}
	// Clearing a verified bit loses nothing: the chunk is re-verified from disk at Open.
	bad = append([]byte(nil), fx.ckptP...)
	bad[mapStart] &^= 1 << 2
	binary.BigEndian.PutUint64(bad[32:], uint64(len(fx.held)-1))
	rec, readable := fx.reopen(t, fx.partial, resign(bad))
	if rec.From != "checkpoint" || rec.Reverified != 1 || readable != len(fx.held) {
		t.Fatalf("cleared bit: %+v, %d readable", rec, readable)
	}
}

// TestWrongRoot: the files of one swarm opened as another are refused and left as they
// were; taken over with Force, they are not trusted at all.
func TestWrongRoot(t *testing.T) {
	fx := newFixture(t)
	for _, o := range []Options{fx.partial, fx.complete} {
		o.Root = append([]byte(nil), o.Root...)
		o.Root[0] ^= 1
		o.Force = false
		content, ckpt := readFile(t, o.ContentPath), readFile(t, o.CheckpointPath)
		if _, err := Open(context.Background(), o); !errors.Is(err, ErrNotOurs) {
			t.Fatalf("wrong root without Force: %v", err)
		}
		if !bytes.Equal(readFile(t, o.ContentPath), content) || !bytes.Equal(readFile(t, o.CheckpointPath), ckpt) {
			t.Fatal("refused Open changed the files")
		}
		o.Force = true
		s := open(t, o)
		rec := s.Recovery()
		if rec.From != "empty" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) || s.VerifiedCount() != 0 {
			t.Fatalf("wrong root: %+v", rec)
		}
		if _, err := s.ReadAt(make([]byte, 10), 64); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("read: %v", err)
		}
		abandon(s)
	}
}

// TestContentDamage damages the content file of a complete, checkpointed store: cut
// short at many lengths, extended, bit-flipped, deleted. Reads never return a wrong byte;
// intact chunks stay readable.
func TestContentDamage(t *testing.T) {
	fx := newFixture(t)
	w, o := fx.w, fx.complete
	orig := readFile(t, o.ContentPath)
	restore := func() {
		writeFile(t, o.ContentPath, orig)
		writeFile(t, o.CheckpointPath, fx.ckptC)
	}
	for cut := 0; cut < len(orig); cut += 7 {
		restore()
		if err := os.Truncate(o.ContentPath, int64(cut)); err != nil {
			t.Fatal(err)
		}
		s := open(t, o)
		intact := cut / w.cs
		if got := w.checkReads(t, s); got != intact || s.VerifiedCount() != intact {
			t.Fatalf("cut at %d: %d readable, %d verified, want %d", cut, got, s.VerifiedCount(), intact)
		}
		abandon(s)
	}

	restore()
	writeFile(t, o.ContentPath, append(append([]byte(nil), orig...), "trailing junk"...))
	s := open(t, o)
	if got := w.checkReads(t, s); got != int(w.n()) {
		t.Fatalf("longer file: %d readable", got)
	}
	abandon(s)

	for i := range len(orig) * 8 / 13 {
		bit := i * 13
		restore()
		bad := append([]byte(nil), orig...)
		bad[bit/8] ^= 1 << (bit % 8)
		writeFile(t, o.ContentPath, bad)
		s := open(t, o)
		if s.Recovery().From != "checkpoint" {
			t.Fatal("checkpoint not used")
		}
		if got := w.checkReads(t, s); got != int(w.n())-1 {
			t.Fatalf("flip of bit %d: %d readable", bit, got)
		}
		if s.Verified(uint64(bit/8/w.cs)) || !s.Dirty() {
			t.Fatalf("flip of bit %d: damaged chunk still marked verified", bit)
		}
		abandon(s)
	}

	restore()
	os.Remove(o.ContentPath)
	s = open(t, o)
	if s.VerifiedCount() != 0 || w.checkReads(t, s) != 0 {
		t.Fatal("deleted content: chunks still claimed")
	}
	abandon(s)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCheckpointSizeLies: a checkpoint (CRC fixed up) whose content size disagrees with
// its chunk count is refused, for a download that does not know its size yet too, and
// before a tree is allocated for the size it claims (2^27 chunks here: 5 GiB of hashes;
// found by FuzzCheckpoint, which ran out of memory on it).
func TestCheckpointSizeLies(t *testing.T) {
	fx := newFixture(t)
	o := fx.w.opts(t.TempDir(), -1)
	writeFile(t, o.ContentPath, readFile(t, fx.partial.ContentPath))
	for _, size := range []uint64{1 << 33, uint64(len(fx.w.content)) + 64, uint64(len(fx.w.content)) - 64} {
		bad := append([]byte(nil), fx.ckptP...)
		binary.BigEndian.PutUint64(bad[16:], size)
		resign(bad)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := decodeCheckpoint(bad)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("size %d: %v", size, err)
		}
		if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib > 64 {
			t.Fatalf("size %d: %d MiB allocated to refuse it", size, mib)
		}
		o.Force = true
		rec, _ := fx.reopen(t, o, bad)
		if rec.From == "checkpoint" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) {
			t.Fatalf("size %d: %+v", size, rec)
		}
	}
}
