package follow

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func writeFile(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stream.ts")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// readN reads exactly n bytes, or fails the test.
func readN(t *testing.T, r io.Reader, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return string(buf)
}

// TestPlainFileEnds: without follow a file's end is the stream's end.
func TestPlainFileEnds(t *testing.T) {
	r, err := Open(writeFile(t, "hello"), false, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
}

// TestFollowReadsAppendedBytes: a followed file is read from its start, then what is
// appended, in order; Close ends a Read that waits at the end with io.EOF.
func TestFollowReadsAppendedBytes(t *testing.T) {
	path := writeFile(t, "first;")
	r, err := Open(path, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := readN(t, r, 6); got != "first;" {
		t.Fatalf("start: %q", got)
	}
	appendFile(t, path, "second;")
	if got := readN(t, r, 7); got != "second;" {
		t.Fatalf("appended: %q", got)
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		waiting <- err
	}()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, io.EOF) {
		t.Fatalf("Read waiting at the end, after Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestFollowTruncated: a followed file that shrinks below what was read fails the read.
func TestFollowTruncated(t *testing.T) {
	path := writeFile(t, "0123456789")
	r, err := Open(path, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	readN(t, r, 10)
	if err := os.Truncate(path, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 4)); !errors.Is(err, ErrTruncated) {
		t.Fatalf("Read after truncation: %v", err)
	}
}

// TestFIFOOutlivesWriters: a FIFO opens without a writer, reads what each writer writes
// (the stream goes on across writers), and Close interrupts a Read that waits.
func TestFIFOOutlivesWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	r, err := Open(path, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"from writer one;", "from writer two;"} {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteString(part); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if got := readN(t, r, len(part)); got != part {
			t.Fatalf("read %q, want %q", got, part)
		}
	}
	waiting := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		waiting <- err
	}()
	r.Close()
	if err := <-waiting; err == nil {
		t.Fatal("a Read interrupted by Close returned no error")
	}
}

// TestOpenErrors: a missing path and a directory are refused with the path named.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing"), dir} {
		if r, err := Open(path, true, 0); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
			if r != nil {
				r.Close()
			}
			t.Errorf("Open(%s): %v", path, err)
		}
	}
}
