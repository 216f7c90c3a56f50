package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorsSpeakToTheUser: issue 16's messages, each for the mistake a user makes.
func TestErrorsSpeakToTheUser(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(junk, []byte("hello, this is no capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badConfig := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(badConfig, []byte("[nodes]\nlisten = \"127.0.0.1:1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("ab", 20)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hash", dir}, "is a directory"},
		{[]string{"get", id, "--peer", "127.0.0.1:9", "-o", filepath.Join(dir, "no", "such", "out")}, "output directory " + filepath.Join(dir, "no", "such") + " does not exist"},
		{[]string{"get", "http://example.org/movie.mp4", "-o", filepath.Join(dir, "out")}, "only tswift:// and ppsp:// links and swarm IDs"},
		{[]string{"dissect", junk}, "not a pcap, pcapng or hex dump"},
		{[]string{"serve", "--config", badConfig}, "unknown table [nodes]"},
		{[]string{"get", id, "--peer", "::1", "-o", filepath.Join(dir, "out")}, "[::1]:6778"},
	} {
		out, err := exec.Command(binPath, c.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %v, want a message saying %q:\n%s", c.args, err, c.want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Error("get created the missing output directory")
	}
	help, _ := exec.Command(binPath, "dissect", "--help").CombinedOutput()
	if !strings.Contains(string(help), `--hash string`) || !strings.Contains(string(help), `(default "sha1")`) {
		t.Errorf("dissect's default hash is not sha1 like every other command's:\n%s", help)
	}
}

// TestGetToStdout: -o - writes the content to stdout, in order, and nothing else; messages
// go to stderr and no file is left behind.
func TestGetToStdout(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := writeContent(t, src, 3<<20+5, 31)
	url := startSeeder(t, src)
	tmp := t.TempDir()
	cmd := exec.Command(binPath, "get", url, "-o", "-", "--timeout", "20s")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), data) {
		t.Fatalf("stdout has %d bytes, not the %d-byte content", stdout.Len(), len(data))
	}
	if !strings.Contains(stderr.String(), "complete and verified") {
		t.Fatalf("stderr:\n%s", stderr.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left behind in TMPDIR: %v", left)
	}
}
