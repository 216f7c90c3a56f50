package livebuf

import (
	"encoding/binary"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// chunkOf is chunk i of a test stream: its index repeated, so any mix-up shows.
func chunkOf(i uint64, size int) []byte {
	c := make([]byte, size)
	for o := 0; o+8 <= size; o += 8 {
		binary.BigEndian.PutUint64(c[o:], i)
	}
	return c
}

// wantChunk fails unless b holds chunk i with chunkOf's content.
func wantChunk(t *testing.T, b *Buffer, i uint64) {
	t.Helper()
	p := make([]byte, b.ChunkSize())
	n, ok := b.Get(i, p)
	if !ok {
		t.Fatalf("chunk %d not held", i)
	}
	if want := chunkOf(i, b.ChunkSize()); n != len(want) || string(p[:n]) != string(want) {
		t.Fatalf("chunk %d: got %d bytes %x..., want %x...", i, n, p[:min(n, 16)], want[:16])
	}
}

func wantNotHeld(t *testing.T, b *Buffer, i uint64) {
	t.Helper()
	if b.Has(i) {
		t.Fatalf("chunk %d held", i)
	}
	if n, ok := b.Get(i, make([]byte, b.ChunkSize())); ok || n != 0 {
		t.Fatalf("Get(%d) = %d, %v; want 0, false", i, n, ok)
	}
}
