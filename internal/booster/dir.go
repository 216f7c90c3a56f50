package booster

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// ErrDir marks a directory source that cannot be listed.
var ErrDir = errors.New("booster directory unreadable")

// maxDirFiles bounds the files read from the directory in one scan.
const maxDirFiles = 10000

// fileStamp is what tells a changed file from one already read.
type fileStamp struct {
	size    int64
	modTime time.Time
}

// dirSource reads the text files directly inside a directory, each again only when its
// size or modification time changed. Hidden files (".name") and everything that is not a
// regular file are left out. It is used by the booster's loop goroutine only.
type dirSource struct {
	path     string
	maxBytes int64
	seen     map[string]fileStamp
}

func newDirSource(path string, maxBytes int64) *dirSource {
	return &dirSource{path: path, maxBytes: maxBytes, seen: map[string]fileStamp{}}
}

// scan returns the texts of the files that are new or changed since the last scan, in
// name order. A file over the cap is read up to the cap. A file that cannot be read is
// skipped (and read again next time); only a directory that cannot be listed is an error.
func (d *dirSource) scan() ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var texts []string
	present := map[string]bool{}
	for i, e := range entries {
		if i >= maxDirFiles {
			break
		}
		name := e.Name()
		if !e.Type().IsRegular() || name[0] == '.' {
			continue
		}
		present[name] = true
		info, err := e.Info()
		if err != nil {
			continue
		}
		stamp := fileStamp{size: info.Size(), modTime: info.ModTime()}
		if old, ok := d.seen[name]; ok && old == stamp {
			continue
		}
		text, err := d.read(filepath.Join(d.path, name))
		if err != nil {
			continue
		}
		d.seen[name] = stamp
		texts = append(texts, text)
	}
	for name := range d.seen {
		if !present[name] {
			delete(d.seen, name)
		}
	}
	return texts, nil
}

func (d *dirSource) read(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, d.maxBytes))
	return string(b), err
}
