package cmdgw

import (
	"context"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Manager is what the gateway needs from the swarm manager (internal/swarms); the
// gateway owns no swarm state of its own.
type Manager interface {
	// Add returns an error wrapping swarms.ErrExists, with the existing swarm's status,
	// when the swarm is already held.
	Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error)
	Seed(ctx context.Context, spec swarms.SeedSpec) (swarms.Status, error)
	// Remove returns swarms.ErrUnknown (wrapped) when no such swarm is held.
	Remove(ctx context.Context, id swarms.ID, opts swarms.RemoveOptions) error
	Checkpoint(ctx context.Context, id swarms.ID) error
	// SetLimits sets one swarm's caps, or the global ones for id "".
	SetLimits(ctx context.Context, id swarms.ID, l swarms.Limits) error
	GlobalLimits() swarms.Limits
	AddPeers(ctx context.Context, id swarms.ID, peers []string) error
	Status(id swarms.ID) (swarms.Status, error)
	// List is sorted by ID.
	List() []swarms.Status
	Peers(ctx context.Context, id swarms.ID) ([]swarms.Peer, error)
	// Subscribe's channel is closed when ctx ends.
	Subscribe(ctx context.Context, buffer int) <-chan swarms.Event
}
