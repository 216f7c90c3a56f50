package httpgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// fakeChunk is the fake swarms' chunk size: small, so tests can make parts of the content
// "arrive" one chunk at a time.
const fakeChunk = 1024

// fakeSwarm is content that arrives over time: a read waits until the chunk covering its
// offset has "arrived", as the manager's reader waits for verified chunks.
type fakeSwarm struct {
	content []byte
	name    string
	state   swarms.State
	errText string

	mu        sync.Mutex
	sizeKnown bool
	have      []bool        // per chunk
	changed   chan struct{} // closed and replaced whenever something arrives
	waiting   chan int64    // the offset of each read that starts to wait (-1: the size), if not nil
	positions []int64       // every playback position a read moved to
	open      int           // readers not yet closed
	closes    chan struct{} // a send for each reader closed, if not nil
}

// newFakeSwarm has its size known and none of its content.
func newFakeSwarm(content []byte, name string) *fakeSwarm {
	return &fakeSwarm{
		content: content, name: name, state: swarms.StateDownloading, sizeKnown: true,
		have: make([]bool, (len(content)+fakeChunk-1)/fakeChunk), changed: make(chan struct{}),
	}
}

// completeSwarm has all of its content.
func completeSwarm(content []byte, name string) *fakeSwarm {
	f := newFakeSwarm(content, name)
	f.arrive(0, int64(len(content)))
	f.state = swarms.StateSeeding
	return f
}

// arrive marks the chunks covering [from, to) as verified and wakes waiting reads.
func (f *fakeSwarm) arrive(from, to int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := from / fakeChunk; c*fakeChunk < to && c < int64(len(f.have)); c++ {
		f.have[c] = true
	}
	f.sizeKnown = true
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeSwarm) openReaders() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open
}

func (f *fakeSwarm) playbackPositions() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.positions...)
}

// waitFor blocks until ready returns true (called with f.mu held) or ctx ends. It reports
// the wait on f.waiting, so tests know a read is blocked without sleeping.
func (f *fakeSwarm) waitFor(ctx context.Context, what int64, ready func() bool) error {
	f.mu.Lock()
	reported := false
	for !ready() {
		ch, waiting := f.changed, f.waiting
		f.mu.Unlock()
		if !reported && waiting != nil {
			reported = true
			select {
			case waiting <- what:
			case <-ctx.Done():
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting at %d: %w", what, ctx.Err())
		}
		f.mu.Lock()
	}
	f.mu.Unlock()
	return nil
}

// fakeManager holds fake swarms and records what the gateway asks of it.
type fakeManager struct {
	mu     sync.Mutex
	swarms map[swarms.ID]*fakeSwarm
	added  []swarms.AddSpec
	// onAdd gives a swarm the gateway starts its content; nil: Add fails.
	onAdd func(spec swarms.AddSpec) *fakeSwarm
	live  map[swarms.ID]*livebuf.Buffer // live swarms (live_test.go)
}

func newFakeManager() *fakeManager { return &fakeManager{swarms: map[swarms.ID]*fakeSwarm{}} }

func (m *fakeManager) put(id swarms.ID, f *fakeSwarm) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.swarms[id] = f
}

func (m *fakeManager) get(id swarms.ID) (*fakeSwarm, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.swarms[id]
	if !ok {
		return nil, fmt.Errorf("swarm %s: %w", id, swarms.ErrUnknown)
	}
	return f, nil
}

func (m *fakeManager) addedSpecs() []swarms.AddSpec {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]swarms.AddSpec(nil), m.added...)
}

func (m *fakeManager) Status(id swarms.ID) (swarms.Status, error) {
	f, err := m.get(id)
	if err != nil {
		return swarms.Status{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	size := int64(-1)
	if f.sizeKnown {
		size = int64(len(f.content))
	}
	return swarms.Status{ID: id, State: f.state, Err: f.errText, Name: f.name, Size: size, ChunkSize: fakeChunk}, nil
}

func (m *fakeManager) Add(_ context.Context, spec swarms.AddSpec) (swarms.Status, error) {
	m.mu.Lock()
	if _, ok := m.swarms[spec.ID]; ok {
		m.mu.Unlock()
		return swarms.Status{}, fmt.Errorf("swarm %s: %w", spec.ID, swarms.ErrExists)
	}
	m.added = append(m.added, spec)
	if m.onAdd == nil {
		m.mu.Unlock()
		return swarms.Status{}, errors.New("fake: no content for added swarms")
	}
	m.swarms[spec.ID] = m.onAdd(spec)
	m.mu.Unlock()
	return m.Status(spec.ID)
}

func (m *fakeManager) OpenReader(ctx context.Context, id swarms.ID) (*fakeReader, error) {
	f, err := m.get(id)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.open++
	f.mu.Unlock()
	return &fakeReader{f: f, ctx: ctx}, nil
}

// fakeReader behaves as the brief says the manager's reader does.
type fakeReader struct {
	f      *fakeSwarm
	ctx    context.Context
	pos    int64
	closed bool
}

func (r *fakeReader) Size() (int64, error) {
	err := r.f.waitFor(r.ctx, -1, func() bool { return r.f.sizeKnown })
	if err != nil {
		return 0, err
	}
	return int64(len(r.f.content)), nil
}

// ReadAt waits for the chunk covering off, moves the playback position there and returns
// the verified bytes from off on, which may be fewer than asked.
func (r *fakeReader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, errors.New("fake reader closed")
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	f := r.f
	if off >= int64(len(f.content)) {
		return 0, io.EOF
	}
	f.mu.Lock()
	f.positions = append(f.positions, off)
	f.mu.Unlock()
	if err := f.waitFor(r.ctx, off, func() bool { return f.have[off/fakeChunk] }); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	end := off
	for end < int64(len(f.content)) && f.have[end/fakeChunk] && end-off < int64(len(p)) {
		end = min((end/fakeChunk+1)*fakeChunk, int64(len(f.content)), off+int64(len(p)))
	}
	n := copy(p, f.content[off:end])
	if off+int64(n) == int64(len(f.content)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *fakeReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

func (r *fakeReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		size, err := r.Size()
		if err != nil {
			return 0, err
		}
		offset += size
	}
	r.pos = offset
	return offset, nil
}

func (r *fakeReader) Close() error {
	if r.closed {
		return errors.New("fake reader closed twice")
	}
	r.closed = true
	r.f.mu.Lock()
	r.f.open--
	closes := r.f.closes
	r.f.mu.Unlock()
	if closes != nil {
		closes <- struct{}{}
	}
	return nil
}
