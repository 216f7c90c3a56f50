package swarms

import "errors"

var (
	// ErrUnknown is returned for a swarm the manager does not hold.
	ErrUnknown = errors.New("unknown swarm")
	// ErrExists is returned (with the swarm's status) by Add and Seed for a swarm already held.
	ErrExists = errors.New("swarm already added")
	// ErrClosed is returned once the manager has stopped.
	ErrClosed = errors.New("swarm manager stopped")
	// ErrLive is returned by OpenReader for a live swarm, which has no content file to read
	// at an offset: its chunks are read from its live store.
	ErrLive = errors.New("live swarm")
)
