package livebuf

import (
	"math"
	"testing"
)

func TestEmpty(t *testing.T) {
	b := New(64, 4)
	wantNotHeld(t, b, 0)
	if _, ok := b.Edge(); ok {
		t.Error("Edge of an empty buffer")
	}
	if _, ok := b.Oldest(); ok {
		t.Error("Oldest of an empty buffer")
	}
	if b.ChunkSize() != 64 || b.Capacity() != 4 {
		t.Errorf("ChunkSize %d Capacity %d", b.ChunkSize(), b.Capacity())
	}
}

func TestBadConfigClamped(t *testing.T) {
	b := New(0, 0)
	b.Put(3, []byte{7})
	if b.ChunkSize() != 1 || b.Capacity() != 1 {
		t.Fatalf("ChunkSize %d Capacity %d, want 1 1", b.ChunkSize(), b.Capacity())
	}
	p := make([]byte, 1)
	if n, ok := b.Get(3, p); !ok || n != 1 || p[0] != 7 {
		t.Fatalf("Get = %d %v %v", n, ok, p)
	}
}

func TestRingEviction(t *testing.T) {
	const size, capacity = 32, 4
	b := New(size, capacity)
	for i := range uint64(10) {
		b.Put(i, chunkOf(i, size))
		edge, _ := b.Edge()
		oldest, _ := b.Oldest()
		wantOldest := uint64(0)
		if i >= capacity {
			wantOldest = i - capacity + 1
		}
		if edge != i || oldest != wantOldest {
			t.Fatalf("after Put(%d): edge %d oldest %d, want %d %d", i, edge, oldest, i, wantOldest)
		}
	}
	for i := range uint64(6) {
		wantNotHeld(t, b, i)
	}
	for i := uint64(6); i < 10; i++ {
		wantChunk(t, b, i)
	}
	wantNotHeld(t, b, 10)
}

func TestOldChunkIgnored(t *testing.T) {
	b := New(32, 4)
	b.Put(10, chunkOf(10, 32))
	b.Put(6, chunkOf(6, 32)) // edge 10, window 7..10
	wantNotHeld(t, b, 6)
	// 6 shares slot 2 with 10: the ignored Put must not have overwritten it.
	wantChunk(t, b, 10)
	b.Put(7, chunkOf(7, 32))
	wantChunk(t, b, 7)
	if o, _ := b.Oldest(); o != 7 {
		t.Errorf("Oldest %d, want 7", o)
	}
}

func TestOutOfOrderAndGaps(t *testing.T) {
	const size = 16
	b := New(size, 8)
	for _, i := range []uint64{3, 1, 2, 7, 5} {
		b.Put(i, chunkOf(i, size))
	}
	for _, i := range []uint64{1, 2, 3, 5, 7} {
		wantChunk(t, b, i)
	}
	for _, i := range []uint64{0, 4, 6, 8} {
		wantNotHeld(t, b, i)
	}
	if e, _ := b.Edge(); e != 7 {
		t.Errorf("Edge %d, want 7", e)
	}
	if o, _ := b.Oldest(); o != 1 {
		t.Errorf("Oldest %d, want 1", o)
	}
	// A jump far ahead: the window is 12..19, and nothing older stays visible, even in
	// slots nobody overwrote.
	b.Put(19, chunkOf(19, size))
	for _, i := range []uint64{1, 2, 3, 5, 7} {
		wantNotHeld(t, b, i)
	}
	if o, _ := b.Oldest(); o != 19 {
		t.Errorf("Oldest %d after a jump, want 19", o)
	}
	// A late chunk inside the new window fills its gap.
	b.Put(12, chunkOf(12, size))
	wantChunk(t, b, 12)
	if o, _ := b.Oldest(); o != 12 {
		t.Errorf("Oldest %d, want 12", o)
	}
}

func TestPutCopiesAndShortChunks(t *testing.T) {
	b := New(8, 2)
	data := []byte("abcd")
	b.Put(0, data)
	data[0] = 'X'
	p := make([]byte, 8)
	n, ok := b.Get(0, p)
	if !ok || string(p[:n]) != "abcd" {
		t.Fatalf("Get = %q %v, want the bytes as put", p[:n], ok)
	}
	// An empty chunk is held, with length 0.
	b.Put(1, nil)
	if n, ok := b.Get(1, p); !ok || n != 0 {
		t.Fatalf("empty chunk: Get = %d %v", n, ok)
	}
	// Too long: ignored rather than cut.
	b.Put(2, make([]byte, 9))
	wantNotHeld(t, b, 2)
	// Get into a short p copies what fits.
	if n, ok := b.Get(0, p[:2]); !ok || n != 2 || string(p[:2]) != "ab" {
		t.Fatalf("short Get = %d %v %q", n, ok, p[:2])
	}
}

func TestHugeIndices(t *testing.T) {
	b := New(8, 4)
	top := uint64(math.MaxUint64)
	b.Put(top, chunkOf(top, 8))
	b.Put(top-3, chunkOf(top-3, 8))
	b.Put(top-4, chunkOf(top-4, 8)) // behind the window
	wantChunk(t, b, top)
	wantChunk(t, b, top-3)
	wantNotHeld(t, b, top-4)
	if o, _ := b.Oldest(); o != top-3 {
		t.Errorf("Oldest %d", o)
	}
}

func TestClose(t *testing.T) {
	b := New(8, 4)
	b.Put(0, chunkOf(0, 8))
	b.Close()
	b.Close()
	wantNotHeld(t, b, 0)
	b.Put(1, chunkOf(1, 8))
	wantNotHeld(t, b, 1)
	if _, ok := b.Edge(); ok {
		t.Error("Edge after Close")
	}
	if _, ok := b.Oldest(); ok {
		t.Error("Oldest after Close")
	}
}
