package live

import "errors"

// Errors for input from peers. None is a reason to panic; the engine drops the message,
// counts the reason and may penalise the sender (RFC 7574 §12.6.5).
var (
	// ErrBadMunro: a signed munro whose range is not a ChunksPerSig-wide, aligned subtree.
	ErrBadMunro = errors.New("live: malformed munro")
	// ErrBadSignature: a SIGNED_INTEGRITY signature that does not verify.
	ErrBadSignature = errors.New("live: signature does not verify")
	// ErrStale: a signed munro or chunk older than the allowed age that would become the
	// live edge; replaying old signatures must not move a joining peer back in time
	// (RFC 7574 §6.1.2.4).
	ErrStale = errors.New("live: signature timestamp too old")
	// ErrNoMunro: a chunk whose munro has not been signed and verified yet (the sender
	// must put INTEGRITY and SIGNED_INTEGRITY for it first, §6.1.2.3).
	ErrNoMunro = errors.New("live: no verified munro for chunk")
	// ErrMissingHash: an uncle needed to climb from the chunk to its munro was not sent.
	ErrMissingHash = errors.New("live: uncle hash missing")
	// ErrHashMismatch: the chunk with its uncles does not reproduce the signed munro hash.
	ErrHashMismatch = errors.New("live: hash mismatch")
	// ErrOutsideWindow: a chunk or munro behind the discard window (§6.2).
	ErrOutsideWindow = errors.New("live: outside the discard window")
	// ErrNotReady: the source has not signed the munro of this chunk yet.
	ErrNotReady = errors.New("live: chunk not signed yet")
	// ErrNoForm: a signed munro asked for in a signature form it is not held in. A source
	// signs only in the forms it was configured for; a relay holds a munro only in the
	// forms it received it in, since it cannot sign for the injector.
	ErrNoForm = errors.New("live: munro not signed in that form")
)
