package livebuf

import (
	"context"
	"errors"
	"sync"
)

// Errors of Wait and of a Reader's Read.
var (
	// ErrGone: the chunk waited for fell behind the window; it will never be held.
	ErrGone = errors.New("livebuf: chunk fell behind the live window")
	// ErrClosed: the buffer was closed (the live swarm was removed or stopped).
	ErrClosed = errors.New("livebuf: buffer closed")
)

// Buffer is a concurrency-safe ring of the newest chunks of a live stream. The zero value
// is not usable; call New.
//
// The window is the capacity chunks ending at the edge, the newest index put: chunk i is
// held when it was put and edge-capacity < i <= edge. A slot is reused by the chunk
// capacity indices later, so nothing is cleared on eviction: a slot's index says whether
// its bytes are still the chunk asked for.
type Buffer struct {
	chunkSize int
	capacity  uint64

	mu      sync.Mutex
	data    []byte   // capacity×chunkSize, allocated at the first Put
	slotIdx []uint64 // per slot: the index of the chunk in it
	slotLen []int    // per slot: its length; 0 when empty
	edge    uint64
	hasEdge bool
	closed  bool
	// changed is closed and dropped by the next Put or Close. It is made only when a
	// waiter asks for it, so a Put with nobody waiting allocates nothing.
	changed chan struct{}
}

// New returns an empty buffer of capacity chunks of chunkSize bytes. A capacity below 1 is
// taken as 1 and a chunk size below 1 as 1, so bad configuration cannot crash a reader.
func New(chunkSize int, capacity uint64) *Buffer {
	if chunkSize < 1 {
		chunkSize = 1
	}
	if capacity < 1 {
		capacity = 1
	}
	return &Buffer{chunkSize: chunkSize, capacity: capacity}
}

// ChunkSize is the stream's chunk size in bytes.
func (b *Buffer) ChunkSize() int { return b.chunkSize }

// Capacity is how many chunks the buffer holds.
func (b *Buffer) Capacity() uint64 { return b.capacity }

// Put keeps a copy of chunk i. A chunk older than the window is ignored; one newer than the
// edge moves the window forward, evicting the chunks that fall behind it. A chunk longer
// than ChunkSize is ignored: the engine never puts one, and keeping part of it would hand
// players corrupt bytes. Put after Close does nothing.
func (b *Buffer) Put(i uint64, data []byte) {
	if len(data) > b.chunkSize {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	if b.hasEdge && i <= b.edge && b.edge-i >= b.capacity {
		return // behind the window
	}
	if b.data == nil {
		// Allocated once, lazily: a live swarm that never receives a chunk costs nothing.
		b.data = make([]byte, b.capacity*uint64(b.chunkSize))
		b.slotIdx = make([]uint64, b.capacity)
		b.slotLen = make([]int, b.capacity)
	}
	if !b.hasEdge || i > b.edge {
		b.edge, b.hasEdge = i, true
	}
	s := i % b.capacity
	off := s * uint64(b.chunkSize)
	copy(b.data[off:off+uint64(b.chunkSize)], data)
	b.slotIdx[s] = i
	// An empty chunk is held as one of length 0 but must still count as held.
	b.slotLen[s] = len(data) + 1
	b.wakeLocked()
}

// wakeLocked wakes every waiter; b.mu is held.
func (b *Buffer) wakeLocked() {
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
}

// inWindowLocked reports whether i is inside the window (held or not).
func (b *Buffer) inWindowLocked(i uint64) bool {
	return b.hasEdge && i <= b.edge && b.edge-i < b.capacity
}

// behindLocked reports whether i fell behind the window: it can never be held.
func (b *Buffer) behindLocked(i uint64) bool {
	return b.hasEdge && i <= b.edge && b.edge-i >= b.capacity
}

// slotLocked returns chunk i's bytes, or false when it is not held.
func (b *Buffer) slotLocked(i uint64) ([]byte, bool) {
	if b.closed || !b.inWindowLocked(i) {
		return nil, false
	}
	s := i % b.capacity
	if b.slotLen[s] == 0 || b.slotIdx[s] != i {
		return nil, false
	}
	off := s * uint64(b.chunkSize)
	return b.data[off : off+uint64(b.slotLen[s]-1)], true
}

// Get copies chunk i into p (as much of it as fits) and returns the bytes copied; false
// when chunk i is not held.
func (b *Buffer) Get(i uint64, p []byte) (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.slotLocked(i)
	if !ok {
		return 0, false
	}
	return copy(p, c), true
}

// Has reports whether chunk i is held.
func (b *Buffer) Has(i uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.slotLocked(i)
	return ok
}

// Edge is the newest chunk index put; false before the first Put and after Close.
func (b *Buffer) Edge() (uint64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, false
	}
	return b.edge, b.hasEdge
}

// Oldest is the oldest chunk held; false when none is (before the first Put, after Close).
func (b *Buffer) Oldest() (uint64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nextHeldLocked(b.windowStartLocked())
}

// windowStartLocked is the lowest index inside the window.
func (b *Buffer) windowStartLocked() uint64 {
	if b.edge < b.capacity {
		return 0
	}
	return b.edge - b.capacity + 1
}

// nextHeldLocked is the first chunk held at i or after it. The scan covers at most the
// window; it usually stops at once, as gaps are rare.
func (b *Buffer) nextHeldLocked(i uint64) (uint64, bool) {
	if b.closed || !b.hasEdge {
		return 0, false
	}
	if start := b.windowStartLocked(); i < start {
		i = start
	}
	for ; i <= b.edge; i++ {
		if _, ok := b.slotLocked(i); ok {
			return i, true
		}
	}
	return 0, false
}

// Close ends the stream: waits return ErrClosed, the chunks are dropped and their memory
// released. Close may be called more than once.
func (b *Buffer) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.data, b.slotIdx, b.slotLen = nil, nil, nil
	b.wakeLocked()
}

// changedLocked returns the channel the next Put or Close closes.
func (b *Buffer) changedLocked() <-chan struct{} {
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return b.changed
}

// Wait returns nil once chunk i is held, ErrGone once it fell behind the window, ErrClosed
// after Close, and ctx's error when ctx ends first. It starts no goroutine: it sleeps on a
// channel the next Put closes.
//
// Wait does not give up on a chunk that a later chunk overtook while it is still inside the
// window: it may yet arrive from another peer. A Reader decides when a missing chunk is
// lost (Reader.SkipAfter).
func (b *Buffer) Wait(ctx context.Context, i uint64) error {
	_, err := b.waitUntil(ctx, func() (bool, error) {
		if _, ok := b.slotLocked(i); ok {
			return true, nil
		}
		if b.behindLocked(i) {
			return true, ErrGone
		}
		return false, nil
	})
	return err
}

// waitUntil calls done with b.mu held, after every change, until it reports true (with
// its error) or the buffer closes or ctx ends. It returns whether done ever ran true.
func (b *Buffer) waitUntil(ctx context.Context, done func() (bool, error)) (bool, error) {
	b.mu.Lock()
	for {
		if b.closed {
			b.mu.Unlock()
			return false, ErrClosed
		}
		if ok, err := done(); ok {
			b.mu.Unlock()
			return true, err
		}
		ch := b.changedLocked()
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false, ctx.Err()
		}
		b.mu.Lock()
	}
}
