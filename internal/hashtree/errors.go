package hashtree

import (
	"errors"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Errors for input that came from a peer or from disk. None of them is a reason to panic;
// the caller drops the chunk or hash, re-requests it, and may mark the sender as bad
// (RFC 7574 §3, §12.6.5).
var (
	// ErrEmptyContent: RFC 7574 defines no tree over zero chunks (and libswift refuses
	// empty files), so there is no swarm ID for empty content.
	ErrEmptyContent = errors.New("hashtree: empty content has no Merkle tree")
	// ErrHashMismatch: a chunk or hash, climbed with its uncles, did not reproduce a hash
	// already verified against the root.
	ErrHashMismatch = errors.New("hashtree: hash mismatch")
	// ErrMissingHash: an uncle needed to reach a verified node is neither known nor among
	// the candidates (RFC 7574 §5.3: the sender should have put it before the DATA).
	ErrMissingHash = errors.New("hashtree: uncle hash missing")
	// ErrSizeUnknown: the chunk count is not known yet; peak hashes (RFC 7574 §5.6) or the
	// content length must come first.
	ErrSizeUnknown = errors.New("hashtree: chunk count unknown")
	// ErrBadPeaks: a list of peak hashes does not have the shape §5.6.1 requires, or
	// disagrees with a chunk count we already know.
	ErrBadPeaks = errors.New("hashtree: malformed peak list")
	// ErrOutOfRange: a bin or chunk lies outside the tree or past the content's end.
	ErrOutOfRange = errors.New("hashtree: bin outside the tree")
	// ErrBadLength: chunk data of the wrong length, or a hash of the wrong size.
	ErrBadLength = errors.New("hashtree: bad length")
	// ErrTooLarge: more chunks than the configured MaxChunks.
	ErrTooLarge = errors.New("hashtree: tree too large")
	// ErrCorrupt: stored hashes (our checkpoint, libswift's .mhash) are inconsistent.
	ErrCorrupt = errors.New("hashtree: stored hashes inconsistent")
	// ErrCorruptLayers: a page of a layer file (OpenLayers) does not verify against the
	// root, so the file was damaged after it was written; its hashes are not used, and the
	// file should be made again from the content.
	ErrCorruptLayers = errors.New("hashtree: layer file corrupt")
	// ErrReadOnlyTree: a tree whose hashes are read from disk (OpenLayers) cannot learn
	// or store hashes; it is complete already.
	ErrReadOnlyTree = errors.New("hashtree: tree on disk is read-only")
)

// BinError ties an error to the tree node it concerns, so the engine can log which hash
// was missing or wrong. errors.Is sees through it to the sentinel.
type BinError struct {
	Bin bins.Bin
	Err error
}

func (e *BinError) Error() string { return fmt.Sprintf("%v at bin %v", e.Err, e.Bin) }
func (e *BinError) Unwrap() error { return e.Err }

func binErr(b bins.Bin, err error) error { return &BinError{Bin: b, Err: err} }

// missingErr is the error for a hash lookup of b that failed: a partial tree lacks it, a
// tree on disk could not read or verify it (then the error wraps that cause as well, e.g.
// ErrCorruptLayers).
func (t *Tree) missingErr(b bins.Bin) error {
	if t.disk != nil {
		return binErr(b, fmt.Errorf("%w: %w", ErrMissingHash, t.disk.lookupErr()))
	}
	return binErr(b, ErrMissingHash)
}
