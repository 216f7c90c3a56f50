package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestSeedCandidate sorts a seed directory's files into content and everything else, with
// real checkpoints from finished, partial and just-started downloads.
func TestSeedCandidate(t *testing.T) {
	dir := t.TempDir()
	w := newSwarm(t, 50, 6*64+1, 64, hashtree.SHA1)
	download := func(name string, size int64, chunks int) {
		o := w.opts(dir, size)
		o.ContentPath = filepath.Join(dir, name)
		o.CheckpointPath = ""
		_ = o.fill()
		s := open(t, o)
		mode := hashtree.ToRoot
		if size < 0 {
			mode = hashtree.ToPeak
		}
		for i := range uint64(chunks) {
			w.put(t, s, i, nil, mode)
		}
		closeStore(t, s)
	}
	download("done.bin", int64(len(w.content)), int(w.n()))
	download("partial.bin", int64(len(w.content)), 2)
	download("started.bin", int64(len(w.content)), 0)
	download("started-size-unknown.bin", -1, 0)
	writeFile(t, filepath.Join(dir, "plain.bin"), w.content)
	writeFile(t, filepath.Join(dir, "lib.bin"), w.content)
	writeFile(t, filepath.Join(dir, "lib.bin.mhash"), make([]byte, 20))
	writeFile(t, filepath.Join(dir, "lib.bin.mbinmap"), []byte("version 1\n"))
	writeFile(t, filepath.Join(dir, "broken.bin"), w.content)
	writeFile(t, filepath.Join(dir, "broken.bin.ppsppd"), []byte("not a checkpoint"))
	writeFile(t, filepath.Join(dir, "notes.ppsppd.tmpl"), []byte("a user's template"))
	tmp, err := os.CreateTemp(dir, "done.bin"+CheckpointExt+tempInfix+"*") // as WriteFileAtomic names them
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	writeFile(t, filepath.Join(dir, "plain.bin.ppsppd.layers"), []byte("hashes"))
	tmpLayers, err := os.CreateTemp(dir, "plain.bin"+CheckpointExt+LayersExt+tempInfix+"*") // as writeLayers names them
	if err != nil {
		t.Fatal(err)
	}
	tmpLayers.Close()

	want := map[string]string{ // file -> "" to seed, else a word of the reason
		"done.bin": "", "plain.bin": "", "lib.bin": "", "notes.ppsppd.tmpl": "",
		"done.bin.ppsppd":                 "checkpoint",
		"partial.bin":                     "2 of 7 chunks",
		"partial.bin.ppsppd":              "checkpoint",
		"started.bin":                     "0 of 7 chunks",
		"started.bin.ppsppd":              "checkpoint",
		"started-size-unknown.bin":        "still downloading",
		"started-size-unknown.bin.ppsppd": "checkpoint",
		"lib.bin.mhash":                   ".mhash",
		"lib.bin.mbinmap":                 ".mbinmap",
		"broken.bin":                      "unreadable",
		"broken.bin.ppsppd":               "checkpoint",
		filepath.Base(tmp.Name()):         "temporary",
		"plain.bin.ppsppd.layers":         "layer file",
		filepath.Base(tmpLayers.Name()):   "temporary ppsppd layer file",
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Fatalf("%d files in the directory, the test expects %d", len(entries), len(want))
	}
	for _, e := range entries {
		ok, reason := SeedCandidate(filepath.Join(dir, e.Name()))
		w, listed := want[e.Name()]
		switch {
		case !listed:
			t.Errorf("%s: not expected", e.Name())
		case ok != (w == ""):
			t.Errorf("%s: seed %v (%s)", e.Name(), ok, reason)
		case !ok && !strings.Contains(reason, w):
			t.Errorf("%s: reason %q does not say %q", e.Name(), reason, w)
		}
	}
}
