package swarms

import (
	"sync"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// memLiveStore is the live store a manager uses when Config.NewLiveStore is nil: a ring of
// the last capacity chunks in memory, enough for the engine to serve peers. It has none of
// the reader side (waiting for the next chunk, tuning in) the HTTP gateway needs: the
// daemon configures livebuf's instead.
type memLiveStore struct {
	mu     sync.Mutex
	chunks [][]byte // chunk i at i % len(chunks)
	index  []uint64 // which chunk each slot holds
	filled []bool
}

func newMemLiveStore(_ int, capacity uint64) engine.LiveStore {
	capacity = max(capacity, 1)
	return &memLiveStore{chunks: make([][]byte, capacity), index: make([]uint64, capacity), filled: make([]bool, capacity)}
}

// Put keeps a copy of chunk i, replacing the chunk capacity places before it.
func (s *memLiveStore) Put(i uint64, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slot := i % uint64(len(s.chunks))
	s.chunks[slot] = append(s.chunks[slot][:0], data...)
	s.index[slot], s.filled[slot] = i, true
}

// Get copies chunk i into p when it is still held.
func (s *memLiveStore) Get(i uint64, p []byte) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slot := i % uint64(len(s.chunks))
	if !s.filled[slot] || s.index[slot] != i {
		return 0, false
	}
	return copy(p, s.chunks[slot]), true
}
