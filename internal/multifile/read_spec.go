package multifile

import (
	"errors"
	"fmt"
	"io"
)

// headLen is enough for the first line: the name, a space, 20 digits and a newline.
const headLen = len(SpecName) + 1 + 20 + 1

// ReadSpec reads and parses the spec at the start of a swarm of size bytes. r may return
// fewer bytes than asked with a nil error (a swarm reader returns what is verified);
// ReadSpec asks again. ErrNotMultifile when the content is not a multi-file swarm.
func ReadSpec(r io.ReaderAt, size int64) (*Spec, error) {
	head := make([]byte, min(int64(headLen), size))
	if err := readFull(r, head, 0); err != nil {
		return nil, fmt.Errorf("multifile: reading the first line: %w", err)
	}
	n, err := HeaderLen(head)
	if err != nil {
		return nil, err
	}
	if n > size {
		return nil, fmt.Errorf("%w: spec of %d bytes in content of %d", ErrBadSpec, n, size)
	}
	b := make([]byte, n)
	if err := readFull(r, b, 0); err != nil {
		return nil, fmt.Errorf("multifile: reading the spec: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, err
	}
	if s.Size() != size {
		return nil, fmt.Errorf("%w: files end at %d, the content at %d", ErrBadSpec, s.Size(), size)
	}
	return s, nil
}

// maxEmptyReads bounds how often a reader may return nothing and no error in a row.
const maxEmptyReads = 100

// readFull fills b from off, tolerating short reads.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	got, empty := 0, 0
	for got < len(b) {
		n, err := r.ReadAt(b[got:], off+int64(got))
		got += n
		if got == len(b) {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if n == 0 {
			if empty++; empty >= maxEmptyReads {
				return io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
	return nil
}
