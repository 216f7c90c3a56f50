package multifile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Reader reads a swarm's bytes from the spec and the files on disk: an io.ReaderAt over
// "spec + files in order", for hashing and seeding. It only ever opens files for reading
// (seeding never changes the user's files). Each file is opened on its first read and stays
// open until Close; a file whose size is no longer the spec's fails its reads.
type Reader struct {
	spec    *Spec
	encoded []byte
	root    string // the directory the spec's paths are under

	mu     sync.Mutex
	files  []*os.File // by spec index; nil until first read
	closed bool
}

// NewReader reads the files of spec under root (a spec path p is root/p).
func NewReader(spec *Spec, root string) *Reader {
	return &Reader{spec: spec, encoded: spec.Encode(), root: root, files: make([]*os.File, len(spec.files))}
}

// Spec is the spec the reader lays out.
func (r *Reader) Spec() *Spec { return r.spec }

// Size is the swarm's content size.
func (r *Reader) Size() int64 { return r.spec.Size() }

// ReadAt reads the swarm's bytes at off. It is safe for concurrent use.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("multifile: read at %d", off)
	}
	size := r.Size()
	if off >= size {
		return 0, io.EOF
	}
	want := len(p)
	if rest := size - off; int64(len(p)) > rest {
		p = p[:rest]
	}
	n := 0
	if off < r.spec.specLen {
		n = copy(p, r.encoded[off:])
	}
	files := r.spec.files
	// The first file whose end lies past the read position.
	i := sort.Search(len(files), func(i int) bool { return files[i].Offset+files[i].Size > off+int64(n) })
	for n < len(p) && i < len(files) {
		fl := files[i]
		pos := off + int64(n) - fl.Offset
		chunk := p[n:min(int64(len(p)), int64(n)+fl.Size-pos)]
		if err := r.readFile(i, chunk, pos); err != nil {
			return n, err
		}
		n += len(chunk)
		i++
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

func (r *Reader) readFile(i int, p []byte, pos int64) error {
	f, err := r.open(i)
	if err != nil {
		return err
	}
	got, err := f.ReadAt(p, pos)
	if got < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF // shrunk since it was checked
		}
		return fmt.Errorf("multifile: reading %s: %w", r.spec.files[i].Path, err)
	}
	return nil
}

func (r *Reader) open(i int) (*os.File, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, os.ErrClosed
	}
	if f := r.files[i]; f != nil {
		return f, nil
	}
	fl := r.spec.files[i]
	name := filepath.Join(r.root, filepath.FromSlash(fl.Path))
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("multifile: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && (!fi.Mode().IsRegular() || fi.Size() != fl.Size) {
		err = fmt.Errorf("multifile: %s is no longer a regular file of %d bytes", name, fl.Size)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	r.files[i] = f
	return f, nil
}

// Close closes the files opened. Reads after Close fail.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	var errs []error
	for i, f := range r.files {
		if f != nil {
			errs = append(errs, f.Close())
			r.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Paths names the files the reader reads, in the swarm's order (storage.FileSource): a
// seed's layer file records the identity of each, so that a change to any is seen.
func (r *Reader) Paths() []string {
	out := make([]string, len(r.spec.files))
	for i, fl := range r.spec.files {
		out[i] = filepath.Join(r.root, filepath.FromSlash(fl.Path))
	}
	return out
}
