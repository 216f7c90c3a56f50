package live

import (
	"fmt"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// store keeps the munros inside the discard window, indexed by munro number.
type store struct {
	hf     hashtree.HashFunc
	n      uint64 // chunks per munro; 0 until learned (verifier side)
	window Window
	munros map[uint64]*munro
	// newest is the highest munro number held; valid when any munro was ever added.
	newest    uint64
	hasNewest bool
	oldest    uint64 // no munro below this number is held
}

func newStore(hf hashtree.HashFunc, n uint64, w Window) *store {
	return &store{hf: hf, n: n, window: w, munros: map[uint64]*munro{}}
}

// edge is the last chunk of the newest munro.
func (s *store) edge() (uint64, bool) {
	if !s.hasNewest {
		return 0, false
	}
	return (s.newest+1)*s.n - 1, true
}

// lookup finds the munro of chunk i.
func (s *store) lookup(i uint64) (*munro, error) {
	if s.n == 0 {
		return nil, fmt.Errorf("%w %d: no munro seen yet", ErrNoMunro, i)
	}
	if e, ok := s.edge(); ok && !s.window.Keeps(e, i) {
		return nil, fmt.Errorf("%w: chunk %d, window keeps %d-%d", ErrOutsideWindow, i, s.window.Oldest(e), e)
	}
	m := s.munros[i/s.n]
	if m == nil {
		return nil, fmt.Errorf("%w %d", ErrNoMunro, i)
	}
	return m, nil
}

// add keeps m, moves the edge if m is the newest, and drops munros that fell out of the
// window.
func (s *store) add(m *munro) {
	s.munros[m.index] = m
	if !s.hasNewest || m.index > s.newest {
		s.newest, s.hasNewest = m.index, true
	}
	s.prune()
}

// prune forgets munros whose every chunk is behind the window. It walks from the oldest
// held number, so its cost is the number of munros dropped (plus gaps, which the window
// bounds).
func (s *store) prune() {
	e, ok := s.edge()
	if !ok || s.window == Unlimited {
		return
	}
	keepFrom := s.window.Oldest(e) / s.n // the munro holding the oldest kept chunk
	if keepFrom <= s.oldest {
		return
	}
	if keepFrom-s.oldest > uint64(len(s.munros)) {
		// A jump (the edge moved far): delete by scanning what is held instead.
		for idx := range s.munros {
			if idx < keepFrom {
				delete(s.munros, idx)
			}
		}
	} else {
		for idx := s.oldest; idx < keepFrom; idx++ {
			delete(s.munros, idx)
		}
	}
	s.oldest = keepFrom
}

// forget drops every munro that ends before chunk before (a peer's own choice to keep
// less than its window, §6.2).
func (s *store) forget(before uint64) {
	if s.n == 0 {
		return
	}
	for idx, m := range s.munros {
		if m.end() < before {
			delete(s.munros, idx)
		}
	}
	if before/s.n > s.oldest {
		s.oldest = before / s.n
	}
}
