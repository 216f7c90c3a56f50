package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestChunkSizeOneRule: hash, seed and get apply the same chunk size rule to --chunk-size
// and to a link's $N before anything starts, and say the limit in the message and in
// --help (issue 16).
func TestChunkSizeOneRule(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	writeContent(t, src, 5000, 3)
	limit := fmt.Sprintf("1 to %d bytes", hashtree.MaxChunkSize)
	id := strings.Repeat("ab", 20)
	port := fmt.Sprint(freeUDPPort(t))
	for _, args := range [][]string{
		{"hash", src, "--chunk-size", "4294967295"},
		{"hash", src, "--chunk-size", "0"},
		{"hash", src, "--chunk-size", fmt.Sprint(hashtree.MaxChunkSize + 1)},
		{"seed", src, "--chunk-size", "65536", "--listen", "127.0.0.1:" + port},
		{"seed", src, "--chunk-size", "0", "--listen", "127.0.0.1:" + port},
		{"get", id, "--peer", "127.0.0.1:" + port, "-o", filepath.Join(dir, "out"), "--chunk-size", "0"},
		{"get", "tswift://127.0.0.1:" + port + "/" + id + "$65536", "-o", filepath.Join(dir, "out")},
		{"get", "tswift://127.0.0.1:" + port + "/" + id + "?cs=20000", "-o", filepath.Join(dir, "out")},
	} {
		// The deadline only keeps an accepted seed from running forever.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		out, err := exec.CommandContext(ctx, binPath, args...).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), limit) {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(binPath, "hash", src, "--chunk-size", fmt.Sprint(hashtree.MaxChunkSize)).CombinedOutput()
	if err != nil {
		t.Errorf("the largest chunk size is refused: %v\n%s", err, out)
	}
	for _, c := range []string{"hash", "seed", "get"} {
		help, _ := exec.Command(binPath, c, "--help").CombinedOutput()
		if !strings.Contains(string(help), fmt.Sprintf("1 to %d", hashtree.MaxChunkSize)) {
			t.Errorf("%s --help does not give the chunk size limit:\n%s", c, help)
		}
	}
}
