package cmdgw

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// fakeManager stands in for internal/swarms' manager. A swarm added with a peer is
// "allocating" with a chunk count but no size (libswift's first INFO after START), and
// has completed by the next Status call (the transcript's next INFO); one added without a
// peer stays downloading with nothing, as in the transcript's session 5. Add checks Dest
// with swarms.ResolveInside, as the real manager must.
type fakeManager struct {
	root string // content directory

	mu       sync.Mutex
	swarms   map[swarms.ID]*swarms.Status
	global   swarms.Limits
	calls    []string // commands the gateway made, for assertions
	addDelay time.Duration
}

func newFakeManager(root string) *fakeManager {
	return &fakeManager{root: root, swarms: make(map[swarms.ID]*swarms.Status)}
}

func (f *fakeManager) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeManager) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeManager) Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error) {
	f.mu.Lock()
	delay := f.addDelay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return swarms.Status{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("add %s peers=%v dest=%s cs=%d size=%d", spec.ID, spec.Peers, spec.Dest, spec.ChunkSize, spec.Size)
	if st, ok := f.swarms[spec.ID]; ok {
		return *st, fmt.Errorf("add %s: %w", spec.ID, swarms.ErrExists)
	}
	path, err := swarms.ResolveInside(f.root, spec.Dest)
	if err != nil {
		return swarms.Status{}, fmt.Errorf("add %s: destination: %w", spec.ID, err)
	}
	st := &swarms.Status{ID: spec.ID, Path: path, ChunkSize: spec.ChunkSize, Size: -1, Added: time.Now()}
	if len(spec.Peers) > 0 {
		st.State, st.TotalChunks, st.Seeders = swarms.StateAllocating, 1025, 1
	} else {
		st.State, st.Leechers, st.Waiting, st.Err = swarms.StateDownloading, 1, true, "no peer answered; retrying"
	}
	f.swarms[spec.ID] = st
	return *st, nil
}

func (f *fakeManager) setAddDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addDelay = d
}

func (f *fakeManager) Seed(context.Context, swarms.SeedSpec) (swarms.Status, error) {
	return swarms.Status{}, fmt.Errorf("seed: not in this fake")
}

func (f *fakeManager) Remove(_ context.Context, id swarms.ID, opts swarms.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("remove %s state=%v content=%v", id, opts.DeleteState, opts.DeleteContent)
	if _, ok := f.swarms[id]; !ok {
		return fmt.Errorf("remove %s: %w", id, swarms.ErrUnknown)
	}
	delete(f.swarms, id)
	return nil
}

func (f *fakeManager) Checkpoint(_ context.Context, id swarms.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("checkpoint %s", id)
	if _, ok := f.swarms[id]; !ok {
		return fmt.Errorf("checkpoint %s: %w", id, swarms.ErrUnknown)
	}
	return nil
}

func (f *fakeManager) SetLimits(_ context.Context, id swarms.ID, l swarms.Limits) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("limits %s up=%g down=%g", id, l.Up, l.Down)
	if id == "" {
		f.global = l
		return nil
	}
	st, ok := f.swarms[id]
	if !ok {
		return fmt.Errorf("limits %s: %w", id, swarms.ErrUnknown)
	}
	st.Limits = l
	return nil
}

func (f *fakeManager) GlobalLimits() swarms.Limits {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.global
}

func (f *fakeManager) AddPeers(_ context.Context, id swarms.ID, peers []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("peers %s %v", id, peers)
	if _, ok := f.swarms[id]; !ok {
		return fmt.Errorf("add peers %s: %w", id, swarms.ErrUnknown)
	}
	return nil
}

func (f *fakeManager) Status(id swarms.ID) (swarms.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.swarms[id]
	if !ok {
		return swarms.Status{}, fmt.Errorf("status %s: %w", id, swarms.ErrUnknown)
	}
	out := *st
	if st.State == swarms.StateAllocating {
		// Downloaded by the next look, as in the transcript.
		st.State, st.Size, st.Have, st.HaveChunks = swarms.StateSeeding, 1048699, 1048699, 1025
		st.DownRate = 571726.228298
	}
	return out, nil
}

func (f *fakeManager) List() []swarms.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []swarms.Status
	for _, st := range f.swarms {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b swarms.Status) int { return compareIDs(a.ID, b.ID) })
	return out
}

func compareIDs(a, b swarms.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeManager) Peers(_ context.Context, id swarms.ID) ([]swarms.Peer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.swarms[id]; !ok {
		return nil, fmt.Errorf("peers %s: %w", id, swarms.ErrUnknown)
	}
	return []swarms.Peer{{Addr: netip.MustParseAddrPort("127.0.0.1:20051"), RawUp: 30922, RawDown: 1138887, Down: 1048699, Seeder: true, HaveChunks: 1025}}, nil
}

func (f *fakeManager) Subscribe(ctx context.Context, _ int) <-chan swarms.Event {
	ch := make(chan swarms.Event)
	context.AfterFunc(ctx, func() { close(ch) })
	return ch
}

// AddLiveFile starts a fake live source: seeding, live, one chunk held.
func (f *fakeManager) AddLiveFile(_ context.Context, spec swarms.LiveFileSpec) (swarms.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("live source %s follow=%v key=%s sig=%s cs=%d method=%v window=%d", spec.Path, spec.Follow, spec.KeyFile, spec.Alg,
		spec.ChunkSize, spec.Method, spec.Window)
	id := swarms.ID("\x0d" + spec.Path) // a stand-in ID per input
	if st, ok := f.swarms[id]; ok {
		return *st, fmt.Errorf("live source %s: %w", id, swarms.ErrExists)
	}
	st := &swarms.Status{ID: id, State: swarms.StateSeeding, Live: true, LiveSource: true, Size: -1, ChunkSize: 1024,
		HaveChunks: 1, Have: 1024}
	f.swarms[id] = st
	return *st, nil
}

// JoinLive joins a fake live stream: downloading, nothing held until the next Status
// (like Add's swarms), then one chunk.
func (f *fakeManager) JoinLive(_ context.Context, spec swarms.LiveJoinSpec) (swarms.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("live join %s peers=%v cs=%d window=%d", spec.ID, spec.Peers, spec.ChunkSize, spec.Window)
	if st, ok := f.swarms[spec.ID]; ok {
		return *st, fmt.Errorf("join %s: %w", spec.ID, swarms.ErrExists)
	}
	st := &swarms.Status{ID: spec.ID, State: swarms.StateDownloading, Live: true, Size: -1, ChunkSize: spec.ChunkSize}
	f.swarms[spec.ID] = st
	out := *st
	st.HaveChunks, st.Have = 1, int64(spec.ChunkSize)
	return out, nil
}
