package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 16: `get -o OUT` with an OUT that already exists.

// getInto runs `ppsppd get URL -o out [extra...]` and returns its output and error.
func getInto(t *testing.T, url, out string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"get", url, "-o", out, "--timeout", "20s"}, extra...)
	b, err := exec.Command(binPath, args...).CombinedOutput()
	return string(b), err
}

// swarmHex is the swarm ID in a tswift URL (tswift://HOST:PORT/HEX[$CHUNKSIZE]).
func swarmHex(url string) string {
	s := url[strings.LastIndex(url, "/")+1:]
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	return s
}

func mustEqualFile(t *testing.T, path string, want []byte, what string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: %s has %d bytes (%v), want exactly the %d-byte content", what, path, len(got), err, len(want))
	}
}

// TestGetOutputExists: an OUT that is not this swarm's is refused and left as it was unless
// --force; a forced or resumed OUT ends exactly the content, even when it was longer; `hash`
// of the result gives the swarm ID.
func TestGetOutputExists(t *testing.T) {
	dir := t.TempDir()
	srcA := filepath.Join(dir, "a.src")
	dataA := writeContent(t, srcA, 300<<10+77, 11)
	srcB := filepath.Join(dir, "b.src")
	dataB := writeContent(t, srcB, 700<<10+5, 12) // longer than A
	urlA, urlB := startSeeder(t, srcA), startSeeder(t, srcB)

	t.Run("another swarm's finished download", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if msg, err := getInto(t, urlB, out); err != nil {
			t.Fatalf("get B: %v\n%s", err, msg)
		}
		// A finished plain get keeps only the content (issue 16): B's file is now just a file.
		if _, err := os.Stat(out + ".ppsppd"); err == nil {
			t.Fatal("a finished get left its checkpoint")
		}
		msg, err := getInto(t, urlA, out)
		if err == nil || !strings.Contains(msg, "has no checkpoint") || !strings.Contains(msg, "--force") {
			t.Fatalf("get A into B's download: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataB, "refused get")
		if _, err := os.Stat(out + ".ppsppd"); err == nil {
			t.Fatal("refused get wrote a checkpoint")
		}

		if msg, err := getInto(t, urlA, out, "--force"); err != nil || !strings.Contains(msg, "complete and verified") {
			t.Fatalf("get A --force: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataA, "forced get")
		h, err := exec.Command(binPath, "hash", out).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(h), swarmHex(urlA)+" ") {
			t.Fatalf("hash of the result: %v %s, want swarm %s", err, h, swarmHex(urlA))
		}
	})

	t.Run("unrelated longer file", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		junk := bytes.Repeat([]byte("not the content "), 50<<10) // 800 KB
		if err := os.WriteFile(out, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		msg, err := getInto(t, urlA, out)
		if err == nil || !strings.Contains(msg, "has no checkpoint") || !strings.Contains(msg, "--force") {
			t.Fatalf("get into an unrelated file: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, junk, "refused get")
		if _, err := os.Stat(out + ".ppsppd"); err == nil {
			t.Fatal("refused get wrote a checkpoint")
		}
		if msg, err := getInto(t, urlA, out, "--force"); err != nil || !strings.Contains(msg, "complete and verified") {
			t.Fatalf("get --force: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataA, "forced get")
	})

	t.Run("the content with a tail", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if err := os.WriteFile(out, append(bytes.Clone(dataA), "appended"...), 0o644); err != nil {
			t.Fatal(err)
		}
		// The URL does not give the size, so the whole file is hashed, and it is not the content.
		if msg, err := getInto(t, urlA, out); err == nil || !strings.Contains(msg, "has no checkpoint") {
			t.Fatalf("get into the content plus a tail: %v\n%s", err, msg)
		}
		if msg, err := getInto(t, urlA, out, "--force"); err != nil || !strings.Contains(msg, "complete and verified") {
			t.Fatalf("get --force: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataA, "forced get")
	})

	t.Run("exact copy without checkpoint", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if err := os.WriteFile(out, dataA, 0o644); err != nil {
			t.Fatal(err)
		}
		if msg, err := getInto(t, urlA, out); err != nil || !strings.Contains(msg, "already complete and verified") {
			t.Fatalf("get into an exact copy: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataA, "get into an exact copy")
	})

	t.Run("our finished download grown longer", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		if msg, err := getInto(t, urlA, out); err != nil {
			t.Fatalf("get: %v\n%s", err, msg)
		}
		if err := os.WriteFile(out, append(bytes.Clone(dataA), bytes.Repeat([]byte{7}, 4096)...), 0o644); err != nil {
			t.Fatal(err)
		}
		// Finished, it has no checkpoint: changed since, it is no longer known to be ours.
		if msg, err := getInto(t, urlA, out); err == nil || !strings.Contains(msg, "--force") {
			t.Fatalf("get again: %v\n%s", err, msg)
		}
		if msg, err := getInto(t, urlA, out, "--force"); err != nil || !strings.Contains(msg, "complete and verified") {
			t.Fatalf("get again --force: %v\n%s", err, msg)
		}
		mustEqualFile(t, out, dataA, "get into our own longer download")
	})
}
