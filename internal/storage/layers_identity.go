package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// A layer file records the identity of the content it was made from, so that a later Open
// trusts it only while that content is provably unchanged (layers.go). For one content
// file that is the file's own size, device, inode and times. A multi-file swarm has no one
// file: its identity is a SHA-256 digest of every file's path, size, device, inode and
// times, in the order the swarm reads them, so a change to any file, a file replaced, added
// or removed, changes it. The digest's 32 bytes fill the four 8-byte identity fields of the
// header (dev, ino, mtime, ctime), whose layout is then unchanged (doc.go).

// FileSource is a Source read from files on disk, such as a multi-file swarm's
// (multifile.Reader). Paths names those files in the order the source reads them; a store
// may then keep its hashes on demand (Options.OnDemandHashes), its layer file recording the
// identity of every one.
type FileSource interface {
	Source
	Paths() []string
}

// layersIdentity is the identity a layer file records of its content.
type layersIdentity struct {
	size         int64
	dev, ino     uint64
	mtime, ctime int64 // ns; for a FileSource, the rest of the digest
}

// identityForLayers is the identity of the content f, whose fstat is fi: the file's own,
// or for a FileSource the digest of its files'. Content that is neither has none.
func identityForLayers(f contentFile, fi os.FileInfo) (layersIdentity, error) {
	sf, ok := f.(sourceFile)
	if !ok {
		dev, ino := fileNumbers(fi)
		return layersIdentity{size: fi.Size(), dev: dev, ino: ino, mtime: fi.ModTime().UnixNano(), ctime: changeTime(fi)}, nil
	}
	fs, ok := sf.Source.(FileSource)
	if !ok {
		return layersIdentity{}, errors.New("storage: content read from a source of no files has no identity to record")
	}
	d, err := filesDigest(fs.Paths())
	if err != nil {
		return layersIdentity{}, err
	}
	return layersIdentity{size: fs.Size(),
		dev: binary.BigEndian.Uint64(d[0:]), ino: binary.BigEndian.Uint64(d[8:]),
		mtime: int64(binary.BigEndian.Uint64(d[16:])), ctime: int64(binary.BigEndian.Uint64(d[24:]))}, nil
}

// filesDigest digests the identity of each file named, in order. Stat follows symbolic
// links, as opening a file to read it does.
func filesDigest(paths []string) ([sha256.Size]byte, error) {
	h := sha256.New()
	var b []byte
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return [sha256.Size]byte{}, fmt.Errorf("storage: identity of %s: %w", p, err)
		}
		dev, ino := fileNumbers(fi)
		b = binary.BigEndian.AppendUint64(b[:0], uint64(len(p)))
		b = append(b, p...)
		b = binary.BigEndian.AppendUint64(b, uint64(fi.Size()))
		b = binary.BigEndian.AppendUint64(b, dev)
		b = binary.BigEndian.AppendUint64(b, ino)
		b = binary.BigEndian.AppendUint64(b, uint64(fi.ModTime().UnixNano()))
		b = binary.BigEndian.AppendUint64(b, uint64(changeTime(fi)))
		h.Write(b)
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d, nil
}

// onDemandSource reports whether content read from src may keep its hashes on demand: it
// is one file (src nil) or a FileSource.
func onDemandSource(src Source) bool {
	if src == nil {
		return true
	}
	_, ok := src.(FileSource)
	return ok
}
