package storage

import (
	"io"
	"io/fs"
	"os"
	"time"
)

// Source is read-only content that is not one file: a multi-file swarm's spec and files
// (internal/multifile.Reader). Options.Content takes one; the store then reads through it
// and never writes.
type Source interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// contentFile is what a Store keeps its content in: an *os.File, or a Source wrapped as
// a read-only file.
type contentFile interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
	Stat() (os.FileInfo, error)
	Truncate(size int64) error
}

// sourceFile makes a Source a contentFile whose writes fail with ErrReadOnly.
type sourceFile struct{ Source }

func (sourceFile) WriteAt([]byte, int64) (int, error) { return 0, ErrReadOnly }
func (sourceFile) Truncate(int64) error               { return ErrReadOnly }
func (sourceFile) Sync() error                        { return nil } // nothing is written
func (s sourceFile) Stat() (os.FileInfo, error)       { return sourceInfo{size: s.Size()}, nil }

// sourceInfo is the little of os.FileInfo a store asks: the size.
type sourceInfo struct{ size int64 }

func (i sourceInfo) Name() string       { return "" }
func (i sourceInfo) Size() int64        { return i.size }
func (i sourceInfo) Mode() fs.FileMode  { return 0o444 }
func (i sourceInfo) ModTime() time.Time { return time.Time{} }
func (i sourceInfo) IsDir() bool        { return false }
func (i sourceInfo) Sys() any           { return nil }
