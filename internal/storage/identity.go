package storage

import (
	"os"
	"time"
)

// Checked chunks: hashing every chunk on every read cost a seeder about a quarter of its
// CPU. A chunk whose bytes this process hashed (on a read, at Open or Seed) or wrote after
// verifying them (PutChunk) is "checked", and a read of a checked chunk skips the hash
// while the content file is provably unchanged since: its identity — device, inode, size,
// modification and status-change times, from fstat on the open file — is the one captured
// when the checked bitmap was started. Reads look at the identity again (one fstat) before
// they trust the bitmap, once per ReadAt; any difference clears the whole bitmap, so everything is hashed
// again as it is read. Our own writes and truncates change the identity too: they look
// before (a difference then is someone else's, and clears the bitmap) and capture the new
// identity after, under s.mu, so they do not count as changes behind our back.
//
// The path is looked at too (at most every pathLookEvery): when it no longer names the
// file we hold open (replaced by a rename, deleted), the bitmap is cleared and not used
// until it does again, so every read hashes as before. Bytes still come from the open
// file, which such a replacement does not touch.
//
// Reads shorter than lookMinBytes hash rather than look (read.go). What this cannot see is
// in doc.go ("Checked chunks").

// pathLookEvery bounds how often reads stat the content file's path. The open file's
// identity, which is what the bytes read depend on, is looked at on every read.
const pathLookEvery = time.Second

// fileIdentity is what tells that a file was changed or replaced.
type fileIdentity struct {
	info  os.FileInfo // device and inode, compared with os.SameFile
	size  int64
	mtime time.Time
	ctime int64 // status change time in ns where the platform reports it, else 0
}

func identityOf(fi os.FileInfo) fileIdentity {
	return fileIdentity{info: fi, size: fi.Size(), mtime: fi.ModTime(), ctime: changeTime(fi)}
}

func (a fileIdentity) same(b fileIdentity) bool {
	return a.info != nil && b.info != nil && os.SameFile(a.info, b.info) &&
		a.size == b.size && a.mtime.Equal(b.mtime) && a.ctime == b.ctime
}

// startIdentity makes the identity of the file just opened (fi, from its fstat before
// anything read it) the baseline of the checked bitmap.
func (s *Store) startIdentity(fi os.FileInfo) {
	s.ident = identityOf(fi)
	pfi, err := os.Stat(s.opts.ContentPath)
	s.identOK = err == nil && os.SameFile(fi, pfi)
	s.pathLooked = time.Now()
	s.pathLookEvery = pathLookEvery
}

// forgetCheckedLocked clears the checked bitmap: the file may have changed.
func (s *Store) forgetCheckedLocked() {
	clear(s.checked)
	s.epoch++
}

// markCheckedLocked records that chunk c was hashed (or written by us) at epoch, so
// reads may skip hashing it while the file's identity holds. A look at the file that
// found it changed since (epoch moved on) voids the mark.
func (s *Store) markCheckedLocked(c uint64, epoch uint64) {
	if s.identOK && s.epoch == epoch && s.checked != nil && s.verified.get(c) {
		s.checked.set(c)
	}
}

// trustedLocked reports whether a read may hand out chunk c without hashing it, given
// that this read looked at the file's identity (looked).
func (s *Store) trustedLocked(c uint64, looked bool) bool {
	return looked && s.identOK && !s.hashEveryRead && s.checked.get(c) && s.verified.get(c)
}

// lookAtFile compares the open file's identity (and, at most every pathLookEvery, the
// path's) with the one captured, clearing the checked bitmap on any difference. It
// reports whether the file was provably unchanged, i.e. whether the bitmap may be used
// by the read that asked. It runs the system calls without s.mu; a change of ours that
// overlaps them makes the look inconclusive, and it looks again.
func (s *Store) lookAtFile() bool {
	for range 3 {
		s.mu.Lock()
		if s.closed || s.hashEveryRead {
			s.mu.Unlock()
			return false
		}
		seq := s.ownSeq
		lookPath := time.Since(s.pathLooked) >= s.pathLookEvery
		s.mu.Unlock()

		fi, err := s.f.Stat()
		var pfi os.FileInfo
		var perr error
		if lookPath {
			pfi, perr = os.Stat(s.opts.ContentPath)
		}

		s.mu.Lock()
		if s.ownSeq != seq {
			s.mu.Unlock()
			continue // we wrote meanwhile: what fstat saw may be half ours
		}
		ok := s.sawLocked(fi, err, lookPath, pfi, perr)
		s.mu.Unlock()
		return ok
	}
	return false
}

// sawLocked takes in what a look at the file found; see lookAtFile.
func (s *Store) sawLocked(fi os.FileInfo, err error, lookedPath bool, pfi os.FileInfo, perr error) bool {
	if err != nil {
		if s.identOK {
			s.forgetCheckedLocked()
		}
		s.identOK = false
		return false
	}
	if id := identityOf(fi); !id.same(s.ident) {
		s.forgetCheckedLocked()
		s.ident = id
	}
	if lookedPath {
		s.pathLooked = time.Now()
		samePath := perr == nil && os.SameFile(fi, pfi)
		if !samePath && s.identOK {
			s.forgetCheckedLocked()
		}
		s.identOK = samePath
	}
	return s.identOK
}

// ownChangeLocked runs change, a write or truncate of ours, so that it does not count as
// a change behind our back: a difference found before it is someone else's and clears
// the bitmap; the identity after it becomes the baseline. s.mu must be held.
func (s *Store) ownChangeLocked(change func() error) error {
	s.ownSeq++
	before, err := s.f.Stat()
	if err != nil || !identityOf(before).same(s.ident) {
		s.forgetCheckedLocked()
	}
	cerr := change()
	after, err := s.f.Stat()
	if err != nil {
		s.forgetCheckedLocked()
		s.identOK = false
	} else {
		s.ident = identityOf(after)
	}
	return cerr
}
