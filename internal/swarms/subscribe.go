package swarms

import (
	"context"
	"sync"
)

// subscribers fans events out to subscription channels without ever blocking the
// manager: a full channel misses the event.
type subscribers struct {
	mu      sync.Mutex
	subs    map[chan Event]struct{}
	closed  bool
	stop    chan struct{} // closed by closeAll
	dropped uint64
}

func (s *subscribers) add(ctx context.Context, buffer int) <-chan Event {
	ch := make(chan Event, max(buffer, 1))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch
	}
	if s.subs == nil {
		s.subs = make(map[chan Event]struct{})
		s.stop = make(chan struct{})
	}
	s.subs[ch] = struct{}{}
	// The subscription ends with its context; the goroutine ends with it or with the
	// manager (closeAll), whichever comes first.
	stop := s.stop
	go func() {
		select {
		case <-ctx.Done():
			s.remove(ch)
		case <-stop:
		}
	}()
	return ch
}

func (s *subscribers) remove(ch chan Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.subs[ch]; ok {
		delete(s.subs, ch)
		close(ch)
	}
}

func (s *subscribers) publish(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- ev:
		default:
			s.dropped++
		}
	}
}

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.stop != nil {
		close(s.stop)
	}
	for ch := range s.subs {
		delete(s.subs, ch)
		close(ch)
	}
}
