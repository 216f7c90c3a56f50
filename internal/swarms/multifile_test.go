package swarms

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/multifile"
)

// writeTree writes files (relative OS paths) of seeded-random bytes under root.
func writeTree(t *testing.T, root string, sizes map[string]int) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	seed := uint64(10)
	for p, n := range sizes {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		_, data := writeContent(t, filepath.Dir(filepath.Join(root, p)), filepath.Base(p), n, seed)
		out[p] = data
		seed++
	}
	return out
}

// TestSeedDirThenDownload: a directory seeded by one manager is downloaded by another
// over loopback UDP, and its files come out byte-identical under the destination; the
// seeded directory is not written to; after a restart the seed comes back from its
// checkpoint.
func TestSeedDirThenDownload(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "src", "media")
	files := writeTree(t, media, map[string]int{"a.ts": 70_001, "b/clip.mp4": 130_007, "c.txt": 4321, "empty": 0})
	before := dirListing(t, filepath.Join(dir, "src"))

	seederState := filepath.Join(dir, "seeder-state")
	seeder := startManager(t, Config{StateDir: seederState})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: media})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := multifile.New([]multifile.File{{Path: "media/a.ts", Size: 70_001}, {Path: "media/b/clip.mp4", Size: 130_007},
		{Path: "media/c.txt", Size: 4321}, {Path: "media/empty", Size: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateSeeding || st.Size != spec.Size() {
		t.Fatalf("seeder status %+v, want seeding %d bytes", st, spec.Size())
	}
	if _, err := seeder.Seed(context.Background(), SeedSpec{Path: media}); !errors.Is(err, ErrExists) {
		t.Fatalf("seeding the directory twice: %v, want ErrExists", err)
	}

	content := filepath.Join(dir, "content")
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: content})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)
	got, err := leecher.Materialize(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("materialized %d files, want 4", len(got))
	}
	for p, want := range files {
		b, err := os.ReadFile(filepath.Join(content, "media", p))
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%s: %v, identical %v", p, err, bytes.Equal(b, want))
		}
	}
	whole, err := os.ReadFile(filepath.Join(content, st.ID.String()))
	if err != nil || !bytes.HasPrefix(whole, spec.Encode()) {
		t.Fatalf("content file does not start with the spec: %v", err)
	}
	if after := dirListing(t, filepath.Join(dir, "src")); after != before {
		t.Fatalf("seeding changed the directory:\n%s\nnow\n%s", before, after)
	}

	// A restart brings the directory seed back from its checkpoint, without hashing.
	seeder.stop()
	again := startManager(t, Config{StateDir: seederState})
	waitFor(t, "the directory seed restored", func() bool {
		s, err := again.Status(st.ID)
		return err == nil && s.State == StateSeeding
	})
	if _, err := os.Stat(filepath.Join(filepath.Dir(media), "media.ppsppd")); err == nil {
		t.Fatal("a daemon with a state directory wrote a checkpoint beside the seeded directory")
	}
}

// TestMaterializeRefusesSymlinkInDestination: a symlink planted in the content directory
// where a multi-file swarm's directory goes makes the write-out fail; nothing is written
// where it points.
func TestMaterializeRefusesSymlinkInDestination(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "src", "media")
	writeTree(t, media, map[string]int{"a.ts": 5000})
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "s")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: media})
	if err != nil {
		t.Fatal(err)
	}
	content, victim := filepath.Join(dir, "content"), filepath.Join(dir, "victim")
	for _, d := range []string{content, victim} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(victim, filepath.Join(content, "media")); err != nil {
		t.Fatal(err)
	}
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "l"), ContentDir: content})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)
	if _, err := leecher.Materialize(context.Background(), st.ID); !errors.Is(err, multifile.ErrUnsafePath) {
		t.Fatalf("materialize through a symlink: %v, want ErrUnsafePath", err)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Fatalf("files written through the symlink: %v", ents)
	}
}

// dirListing lists every entry under root with its size and modification time.
func dirListing(t *testing.T, root string) string {
	t.Helper()
	var b bytes.Buffer
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + " " + fi.ModTime().Format(time.RFC3339Nano) + " " + fi.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMaterializeRefusesEscapingSpecs: swarms whose content is a spec naming paths that
// leave the destination download fine (the bytes verify) but are not written out, and
// nothing appears outside the content directory.
func TestMaterializeRefusesEscapingSpecs(t *testing.T) {
	dir := t.TempDir()
	content := filepath.Join(dir, "area", "content")
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "s")})
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "l"), ContentDir: content})
	events := leecher.Subscribe(context.Background(), 1024)
	// "ok" is the control: the same construction with a good path is written out.
	for i, path := range []string{"ok", "../x", "/etc/passwd", "a/../../b", "../../area/y"} {
		body := "X"
		line := path + " 1\n"
		n := len(multifile.SpecName) + 2 + len(line)
		n += len(itoa(n + len(itoa(n))))
		raw := multifile.SpecName + " " + itoa(n) + "\n" + line + body
		src := filepath.Join(dir, "evil"+itoa(i))
		if err := os.WriteFile(src, []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, events, EventComplete, st.ID)
		_, err = leecher.Materialize(context.Background(), st.ID)
		if path == "ok" {
			if got, rerr := os.ReadFile(filepath.Join(content, "ok")); err != nil || rerr != nil || string(got) != body {
				t.Fatalf("control spec: %v, %v, %q", err, rerr, got)
			}
			continue
		}
		if !errors.Is(err, multifile.ErrBadSpec) {
			t.Errorf("spec naming %q: %v, want ErrBadSpec", path, err)
		}
	}
	for _, p := range []string{filepath.Join(dir, "area", "x"), filepath.Join(dir, "x"), filepath.Join(dir, "b"),
		filepath.Join(dir, "area", "y"), filepath.Join(content, "etc")} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
