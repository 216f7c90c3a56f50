package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SeedCandidate reports whether a regular file found in a seed directory is content to
// seed, and if not, why (for the log). Not content:
//
//   - our checkpoints (NAME.ppsppd) and the temporary files they are written through
//     (NAME.ppsppd.tmpDIGITS, left behind by a crash); layer files (NAME.ppsppd.layers,
//     layers.go) and theirs (NAME.ppsppd.layers.tmpDIGITS);
//   - libswift's NAME.mhash (hashes) and NAME.mbinmap (chunk map);
//   - a download still in progress: NAME with NAME.ppsppd beside it that does not mark every
//     chunk verified, or that cannot be read. Seeding it would hash the holes too and
//     announce a swarm no one else has. A finished download (its checkpoint marks every
//     chunk) is content like any other file and is seeded; so is a file libswift seeded,
//     whose .mhash the seeder uses.
//
// Only the checkpoint's framing (magic, version, CRC) is read, not its hashes: this decides
// what to seed, not what to trust; Seed hashes the file anyway.
func SeedCandidate(path string) (ok bool, reason string) {
	name := filepath.Base(path)
	switch {
	case strings.HasSuffix(name, CheckpointExt):
		return false, "a ppsppd checkpoint"
	case isTempCheckpoint(name):
		return false, "a temporary ppsppd checkpoint left by an interrupted write"
	case strings.HasSuffix(name, CheckpointExt+LayersExt):
		return false, "a ppsppd layer file (a seed's hashes)"
	case strings.Contains(name, CheckpointExt+LayersExt+tempInfix):
		return false, "a temporary ppsppd layer file left by an interrupted hashing"
	case strings.HasSuffix(name, mhashExt):
		return false, "libswift's hash file (.mhash)"
	case strings.HasSuffix(name, mbinmapExt):
		return false, "libswift's chunk map (.mbinmap)"
	}
	ckptPath := path + CheckpointExt
	raw, err := os.ReadFile(ckptPath)
	if errors.Is(err, fs.ErrNotExist) {
		return true, ""
	}
	if err != nil {
		return false, fmt.Sprintf("cannot read the checkpoint beside it, so it may be an unfinished download: %v", err)
	}
	c, err := decodeCheckpoint(raw)
	if err != nil {
		return false, fmt.Sprintf("the checkpoint beside it (%s) is unreadable, so it may be an unfinished download: %v", ckptPath, err)
	}
	if done := c.verified.count(); c.n == 0 || uint64(done) != c.n {
		return false, fmt.Sprintf("still downloading: %s marks %d of %d chunks verified", ckptPath, done, c.n)
	}
	return true, ""
}

// isTempCheckpoint tells the names WriteFileAtomic gives its temporary files (atomic.go):
// a checkpoint's name, tempInfix, then the decimal digits os.CreateTemp chose.
func isTempCheckpoint(name string) bool {
	i := strings.LastIndex(name, CheckpointExt+tempInfix)
	if i < 0 {
		return false
	}
	digits := name[i+len(CheckpointExt+tempInfix):]
	if digits == "" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
