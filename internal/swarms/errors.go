package swarms

import "errors"

// Errors the manager returns (wrapped, with context); gateways test them with errors.Is to
// pick their reply.
var (
	// ErrUnknown: no swarm has the given ID.
	ErrUnknown = errors.New("unknown swarm")
	// ErrExists: Add was asked for a swarm already held; the status returned with it is
	// the existing swarm's.
	ErrExists = errors.New("swarm already added")
)
