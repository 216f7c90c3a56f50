package storage

import (
	"errors"
	"fmt"
)

// Whose file is it? A download writes into its content file, so Open first makes sure the
// file is this swarm's, the way aria2c and rsync make the user choose before they overwrite
// a file. The content file is ours when:
//
//   - it does not exist, or is empty: nothing to lose;
//   - our checkpoint for this swarm ID (root hash) is beside it: a download to resume.
//     A sound checkpoint file (magic, version, CRC) naming this swarm ID is enough, even
//     when its hashes are then not adopted (see doc.go): we wrote it for this file;
//   - libswift's .mhash for this swarm ID is beside it: libswift's copy of the swarm;
//   - it hashes to this swarm ID: it is provably the content, byte for byte, so taking it
//     as complete loses nothing (only the exact length counts: a longer file whose first
//     bytes are the content is something else, and cutting it would lose its tail).
//
// Anything else, a file of its own or the download of another swarm (its checkpoint names
// another root), is refused with ErrNotOurs unless Options.Force is set; its checkpoint is
// left alone. With Force the file is taken over: its bytes stay only where they verify.

// mayRehash reports whether rehashing the content file can prove it ours. A file longer than
// a known size is refused anyway without Force, so it is not hashed.
func (s *Store) mayRehash(fileLen int64) bool {
	size := s.opts.Params.Size
	return s.opts.Force || s.opts.ReadOnly || size <= 0 || fileLen <= size
}

// foreignCheckpointError: the checkpoint is a good one, for another swarm.
type foreignCheckpointError struct{ root []byte }

func (e *foreignCheckpointError) Error() string {
	return fmt.Sprintf("%v: written for another swarm (root %x)", ErrCheckpoint, e.root)
}

func (e *foreignCheckpointError) Unwrap() error { return ErrCheckpoint }

// notOurs is the refusal, saying why the file is not ours.
func (s *Store) notOurs(fileLen int64) error {
	var foreign *foreignCheckpointError
	var why string
	switch size := s.opts.Params.Size; {
	case errors.As(s.rec.CheckpointErr, &foreign):
		why = fmt.Sprintf("its checkpoint %s is for swarm %x", s.opts.CheckpointPath, foreign.root)
	case s.rec.CheckpointErr != nil:
		why = fmt.Sprintf("its checkpoint %s is unusable (%v)", s.opts.CheckpointPath, s.rec.CheckpointErr)
	case s.rec.MhashErr != nil:
		why = fmt.Sprintf("libswift's %s does not fit this swarm (%v)", s.opts.MhashPath, s.rec.MhashErr)
	case size > 0 && fileLen > size:
		why = fmt.Sprintf("it has no checkpoint and is longer than the content (%d bytes)", size)
	default:
		why = fmt.Sprintf("it has no checkpoint and its content is not swarm %x", s.opts.Root)
	}
	return fmt.Errorf("%w: %s exists (%d bytes) and %s", ErrNotOurs, s.opts.ContentPath, fileLen, why)
}
