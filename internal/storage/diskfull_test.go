package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

const fsizeChildEnv = "PPSPPD_STORAGE_FSIZE_CHILD"

// TestDiskFull runs the file-size-limit scenario in a child process of this test binary:
// the limit (RLIMIT_FSIZE) applies to the whole process, so it must not touch the
// other tests. Hitting it behaves like a full disk: writes fail with EFBIG.
func TestDiskFull(t *testing.T) {
	if os.Getenv(fsizeChildEnv) == "1" {
		diskFullChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFull$", "-test.v")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("disk-full child passed")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func diskFullChild(t *testing.T) {
	const limit = 96 << 10
	// Without this the kernel kills the process with SIGXFSZ instead of failing write.
	signal.Ignore(syscall.SIGXFSZ)

	wA := newSwarm(t, 20, 16<<10, 1024, hashtree.SHA1)           // fits under the limit
	wB := newSwarm(t, 21, 4*writeBehindMax, 1024, hashtree.SHA1) // does not, by several gathered runs
	wD := newSwarm(t, 22, 32<<10, 16, hashtree.SHA512)           // its checkpoint does not
	oD := wD.opts(t.TempDir(), int64(len(wD.content)))
	writeFile(t, oD.ContentPath, wD.content)

	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}

	a := open(t, wA.opts(t.TempDir(), int64(len(wA.content))))
	b := open(t, wB.opts(t.TempDir(), -1)) // size unknown: no preallocation
	have := haveSet{}
	var failedAt uint64
	var firstErr error
	for i := uint64(0); i < wB.n(); i++ {
		if firstErr = wB.send(b, i, have, hashtree.ToPeak); firstErr != nil {
			failedAt = i
			break
		}
	}
	// Writes are gathered (write_behind.go), so the error surfaces when the run that crosses
	// the limit is flushed: at most one run after the chunk that no longer fits.
	if !errors.Is(firstErr, syscall.EFBIG) || failedAt <= limit/1024 || failedAt > limit/1024+writeBehindMax/1024 {
		t.Fatalf("B: first error %v at chunk %d", firstErr, failedAt)
	}
	if !errors.Is(b.Err(), syscall.EFBIG) {
		t.Fatalf("B not in error state: %v", b.Err())
	}
	if err := b.PutChunk(0, wB.chunk(0), nil); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("B put after failure: %v", err)
	}
	if err := b.Checkpoint(); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("B checkpoint after failure: %v", err)
	}
	// The chunks of runs written before the failing one stay verified and readable; those of
	// the failing run are all dropped (os.File.WriteAt does not report a partial count with
	// its error, so which of them reached the disk is unknown), never claimed.
	if got := wB.checkReads(t, b); got > limit/1024 || got < limit/1024-writeBehindMax/1024 {
		t.Fatalf("B: %d chunks readable, want %d minus at most one run", got, limit/1024)
	}

	// Store A, same process, same limit, is unaffected.
	for i := uint64(0); i < wA.n(); i++ {
		wA.put(t, a, i, nil, hashtree.ToRoot)
	}
	if err := a.Checkpoint(); err != nil || a.Err() != nil || !a.Complete() {
		t.Fatalf("A: %v %v", err, a.Err())
	}
	wA.checkReads(t, a)
	closeStore(t, a)

	// Preallocation beyond the limit fails Open cleanly.
	if _, err := Open(context.Background(), wB.opts(t.TempDir(), int64(len(wB.content)))); !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("open with size over the limit: %v", err)
	}

	// A checkpoint larger than the limit: error state, no temporary file left behind.
	d := open(t, oD)
	if d.Recovery().From != "rehash" {
		t.Fatalf("D: %+v", d.Recovery())
	}
	if err := d.Checkpoint(); !errors.Is(err, syscall.EFBIG) || !errors.Is(d.Err(), syscall.EFBIG) {
		t.Fatalf("D checkpoint: %v", err)
	}
	if left, _ := filepath.Glob(oD.CheckpointPath + "*"); len(left) != 0 {
		t.Fatalf("D left %v", left)
	}
	if got := wD.checkReads(t, d); got != int(wD.n()) {
		t.Fatalf("D: %d readable", got)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("D close: %v", err) // no checkpoint attempted in the error state
	}
	b.Close()
	t.Log("disk-full child passed")
}
