package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDaemonMultifileSwarm: one daemon seeds a directory (ppsppd add DIR) as a multi-file
// swarm; a second daemon that has none of it serves one of its files over the HTTP gateway
// with Range while it downloads, and once complete writes every file, byte-identical, into
// its content directory.
func TestDaemonMultifileSwarm(t *testing.T) {
	seedState := t.TempDir()
	seeder := startDaemon(t, seedState, "")
	media := filepath.Join(seedState, "content", "media")
	files := map[string][]byte{}
	r := rand.New(rand.NewPCG(3, 4))
	for p, n := range map[string]int{"a.ts": 300_001, "b/clip.mp4": 500_007, "c.txt": 4321} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		full := filepath.Join(media, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files["media/"+p] = b
	}
	out, err := seeder.ctl(t, "add", media)
	if err != nil {
		t.Fatalf("add DIR: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]

	playerState := t.TempDir()
	player := startDaemon(t, playerState, "")
	url := fmt.Sprintf("http://%s/%s/media/b/clip.mp4?peer=%s", player.http, id, seeder.udp)
	clip := files["media/b/clip.mp4"]
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Range", "bytes=123456-234566")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, clip[123456:234567]) {
		t.Fatalf("Range of a file: status %d, %d bytes, err %v", resp.StatusCode, len(body), err)
	}
	if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 123456-234566/%d", len(clip)) {
		t.Fatalf("Content-Range %q", cr)
	}

	// Once complete, the player writes the files out under its content directory.
	content := filepath.Join(playerState, "content")
	deadline := time.Now().Add(60 * time.Second)
	for p, want := range files {
		for {
			got, err := os.ReadFile(filepath.Join(content, filepath.FromSlash(p)))
			if err == nil && bytes.Equal(got, want) {
				break
			}
			if time.Now().After(deadline) {
				ls, _ := player.ctl(t, "ls")
				t.Fatalf("%s not written out (%v, %d bytes); ls:\n%s", p, err, len(got), ls)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestSeedDirAndGet: `ppsppd seed DIR` prints the swarm of the directory, and `ppsppd get`
// of it writes the files, byte-identical, beside OUT; the seeded directory is not written
// to (its checkpoint goes beside it).
func TestSeedDirAndGet(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "src", "media")
	if err := os.MkdirAll(filepath.Join(media, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"media/a.ts":       writeContent(t, filepath.Join(media, "a.ts"), 70_001, 5),
		"media/b/clip.mp4": writeContent(t, filepath.Join(media, "b", "clip.mp4"), 130_007, 6),
		"media/c.txt":      writeContent(t, filepath.Join(media, "c.txt"), 4321, 7),
	}
	url := startSeeder(t, media)
	out := filepath.Join(dir, "dl", "swarm")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	msg, err := exec.Command(binPath, "get", url, "-o", out).CombinedOutput()
	if err != nil || !strings.Contains(string(msg), "3 files written") {
		t.Fatalf("get: %v\n%s", err, msg)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, "dl", filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v, identical %v", p, err, bytes.Equal(got, want))
		}
	}
	ents, err := os.ReadDir(media)
	if err != nil || len(ents) != 3 {
		t.Fatalf("the seeded directory holds %v (%v), want only its 3 entries", ents, err)
	}
}
