package booster

import (
	"context"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Manager is what the booster needs of the swarm manager (internal/swarms): adding the
// swarms it finds, removing its own, and the swarm list for their state. It never touches
// the engine.
type Manager interface {
	// Add's error wraps swarms.ErrExists when the swarm is already held.
	Add(ctx context.Context, spec swarmapi.AddSpec) (swarmapi.Status, error)
	Remove(ctx context.Context, id swarmapi.ID, opts swarmapi.RemoveOptions) error
	List() []swarmapi.Status
}
