package swarms

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/ppsppd/ppsppd/internal/wire"
)

func readResume(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestLiveResumeFile: a new stream starts at 0 and reserves liveReserve chunks; a resumed
// one starts at its reservation, aligned to its munros, and reserves past it; the
// reservation moves on before the stream nears it; a file that holds no number is refused.
func TestLiveResumeFile(t *testing.T) {
	log := zaptest.NewLogger(t)
	path := filepath.Join(t.TempDir(), "cam.next")
	r, first, err := openLiveResume(path, 32, log)
	if err != nil || first != 0 || readResume(t, path) != "65536" {
		t.Fatalf("new stream: first %d, file %q, %v", first, readResume(t, path), err)
	}
	r.injected(liveReserve/2 - 2)
	if got := readResume(t, path); got != "65536" {
		t.Fatalf("moved early: %s", got)
	}
	r.injected(liveReserve / 2)
	if got := readResume(t, path); got != "98305" { // 32768 + 1 + 65536
		t.Fatalf("reservation after chunk 32768: %s", got)
	}
	if _, first, err = openLiveResume(path, 32, log); err != nil || first != 98336 || readResume(t, path) != "163872" {
		t.Fatalf("resumed: first %d, file %s, %v", first, readResume(t, path), err)
	}
	if err := os.WriteFile(path, []byte("twelve\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := openLiveResume(path, 32, log); err == nil || !strings.Contains(err.Error(), "not a chunk number") {
		t.Fatalf("corrupt file: %v", err)
	}
}

// TestLiveSourceResumes: a source removed and added again with the same key and resume
// file numbers its chunks on past everything it injected before.
func TestLiveSourceResumes(t *testing.T) {
	m := startManager(t, Config{})
	key := testLiveKey(t)
	spec := LiveSourceSpec{Key: key, Method: wire.IntegritySignAll, ResumeFile: filepath.Join(t.TempDir(), "cam.next")}
	edgeAfter := func(chunks int) uint64 {
		t.Helper()
		st, in, err := m.AddLiveSource(context.Background(), spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Write(make([]byte, chunks*DefaultLiveChunkSize)); err != nil {
			t.Fatal(err)
		}
		var edge uint64
		waitFor(t, "the chunks injected", func() bool {
			s, err := m.Status(st.ID)
			edge = s.LiveEdge
			return err == nil && s.HaveChunks >= uint64(chunks)
		})
		if err := m.Remove(context.Background(), st.ID, RemoveOptions{}); err != nil {
			t.Fatal(err)
		}
		return edge
	}
	if e := edgeAfter(5); e != 4 {
		t.Fatalf("first run: edge %d, want 4", e)
	}
	if e := edgeAfter(1); e != liveReserve {
		t.Fatalf("restarted: edge %d, want %d (the first run's reservation)", e, liveReserve)
	}
}
