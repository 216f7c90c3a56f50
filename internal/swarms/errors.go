package swarms

import "errors"

// Errors the swarm manager's methods wrap, so callers can tell them apart with errors.Is.
var (
	ErrUnknown = errors.New("unknown swarm")
	ErrExists  = errors.New("swarm already added")
	ErrClosed  = errors.New("swarm manager stopped")
)
