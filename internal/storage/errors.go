package storage

import "errors"

var (
	// ErrNotVerified: a read touched a chunk we do not hold verified.
	ErrNotVerified = errors.New("storage: chunk not verified")
	// ErrContentChanged: a verified chunk no longer matches its hash on disk; it is now
	// marked missing.
	ErrContentChanged = errors.New("storage: content on disk does not match its hash")
	// ErrIncompleteSeed: a file opened read-only to be seeded is not complete (it
	// changed since its checkpoint, or the checkpoint is for a download).
	ErrIncompleteSeed = errors.New("storage: content to seed is not complete")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("storage: store closed")
	// ErrCheckpoint: the checkpoint file is unusable (bad magic, version, checksum, shape
	// or hashes); Open falls back without it.
	ErrCheckpoint = errors.New("storage: bad checkpoint")
	// ErrCheckpointVersion: a checkpoint written by a format version we do not read.
	ErrCheckpointVersion = errors.New("storage: unsupported checkpoint version")
)

var (
	// ErrNotOurs: Open refused to write into a content file that already exists and is not
	// provably this swarm's download (see ownership.go); Options.Force takes it over.
	ErrNotOurs = errors.New("storage: refusing to write into a file that is not this swarm's download")
	// ErrReadOnly: a chunk was offered to a store opened read-only (seeding).
	ErrReadOnly = errors.New("storage: store is read-only")
)
