package booster

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// fakeManager holds swarm statuses; tests move them along.
type fakeManager struct {
	mu      sync.Mutex
	swarms  map[swarmapi.ID]swarmapi.Status
	specs   map[swarmapi.ID]swarmapi.AddSpec
	removed []swarmapi.ID
}

func newFakeManager() *fakeManager {
	return &fakeManager{swarms: map[swarmapi.ID]swarmapi.Status{}, specs: map[swarmapi.ID]swarmapi.AddSpec{}}
}

func (f *fakeManager) Add(_ context.Context, spec swarmapi.AddSpec) (swarmapi.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.swarms[spec.ID]; ok {
		return st, fmt.Errorf("%w: %v", swarms.ErrExists, spec.ID)
	}
	st := swarmapi.Status{ID: spec.ID, State: swarmapi.StateDownloading, Size: -1}
	f.swarms[spec.ID] = st
	f.specs[spec.ID] = spec
	return st, nil
}

func (f *fakeManager) Remove(_ context.Context, id swarmapi.ID, _ swarmapi.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.swarms[id]; !ok {
		return fmt.Errorf("%w %v", swarms.ErrUnknown, id)
	}
	delete(f.swarms, id)
	f.removed = append(f.removed, id)
	return nil
}

func (f *fakeManager) List() []swarmapi.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []swarmapi.Status
	for _, st := range f.swarms {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b swarmapi.Status) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// set changes a held swarm's status.
func (f *fakeManager) set(id swarmapi.ID, mod func(*swarmapi.Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.swarms[id]
	mod(&st)
	f.swarms[id] = st
}

func (f *fakeManager) has(id swarmapi.ID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.swarms[id]
	return ok
}

func (f *fakeManager) spec(id swarmapi.ID) swarmapi.AddSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.specs[id]
}

func (f *fakeManager) wasRemoved(id swarmapi.ID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.removed, id)
}
