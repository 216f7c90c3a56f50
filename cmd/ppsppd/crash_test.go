package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// seederDaemon runs a daemon that seeds one generated file with an upload cap, so that a
// download takes long enough to be killed at random points.
func seederDaemon(t *testing.T, files map[string]int, upload string) (*daemon, map[string][]byte) {
	t.Helper()
	state := t.TempDir()
	d := startDaemon(t, state, fmt.Sprintf("[limits]\nupload = %q\n", upload))
	contents := make(map[string][]byte)
	i := uint64(100)
	for name, size := range files {
		path := filepath.Join(state, "content", name)
		data := writeContent(t, path, size, i)
		i++
		out, err := d.ctl(t, "add", path)
		if err != nil {
			t.Fatalf("seed %s: %v\n%s", name, err, out)
		}
		contents[strings.Fields(out)[0]] = data
	}
	return d, contents
}

var resumingRE = regexp.MustCompile(`\tresuming\t.*"verified_chunks": (\d+)`)

var haveRE = regexp.MustCompile(`(\d+)/(\d+) bytes`)

// TestGetSurvivesKill9: `ppsppd get` killed with SIGKILL at random points, ten times in a
// row, then run to the end: the file is byte-identical, and every restart resumes from at
// least what the previous one did (checkpoints never go backwards). It prints how much each
// restart found in its checkpoint.
func TestGetSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a download ten times")
	}
	seeder, contents := seederDaemon(t, map[string]int{"big.bin": 24 << 20}, "8MiB")
	var id string
	for k := range contents {
		id = k
	}
	dst := filepath.Join(t.TempDir(), "out.bin")
	args := []string{"get", id, "--peer", seeder.udp, "-o", dst, "--checkpoint-every", "100ms"}
	r := rand.New(rand.NewPCG(7, 7))
	last := -1
	for kill := 1; kill <= 10; kill++ {
		cmd := exec.Command(binPath, args...)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill at a random point after this run has checkpointed something of its own (the
		// machine may be slow: a fixed delay could kill every run before it got any data).
		waitCheckpointRewritten(t, dst+".ppsppd", &out)
		time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		resumed := 0
		if m := resumingRE.FindStringSubmatch(out.String()); m != nil {
			resumed, _ = strconv.Atoi(m[1])
		}
		if strings.Contains(out.String(), "complete and verified") {
			t.Logf("run %d finished before the kill", kill)
			break
		}
		if resumed < last {
			t.Fatalf("run %d resumed from %d chunks, the run before from %d: a checkpoint went backwards", kill, resumed, last)
		}
		t.Logf("run %d: resumed from %d verified chunks of %d", kill, resumed, (24<<20)/1024)
		last = resumed
	}
	if last <= 0 {
		t.Fatal("no restart found anything in its checkpoint: resuming was never exercised")
	}
	out, err := exec.Command(binPath, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, contents[id]) {
		t.Fatalf("file differs after ten kills (%v)", err)
	}
}

// TestDaemonSurvivesKill9: a daemon downloading 20 swarms is killed with SIGKILL at random
// points ten times and restarted; in the end all 20 are complete and byte-identical.
func TestDaemonSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a daemon ten times")
	}
	files := make(map[string]int)
	for i := range 20 {
		files[fmt.Sprintf("f%02d.bin", i)] = 1<<20 + i*1000
	}
	seeder, contents := seederDaemon(t, files, "8MiB")
	state := t.TempDir()
	d := startDaemon(t, state, "")
	for id := range contents {
		if out, err := d.ctl(t, "add", id, "--peer", seeder.udp); err != nil {
			t.Fatalf("add: %v\n%s", err, out)
		}
	}
	r := rand.New(rand.NewPCG(9, 9))
	var lastHave, total int64
	for _, c := range contents {
		total += int64(len(c))
	}
	for kill := 1; kill <= 10; kill++ {
		time.Sleep(time.Duration(100+r.IntN(300)) * time.Millisecond)
		_ = d.cmd.Process.Signal(syscall.SIGKILL)
		_ = d.cmd.Wait()
		d = startDaemon(t, state, "")
		// What the restarted daemon found in its checkpoints, once every swarm is open.
		var have int64
		waitUntil(t, "swarms reopened", func() bool {
			out, _ := d.ctl(t, "ls")
			if strings.Contains(out, "allocating") || strings.Contains(out, "hashchecking") {
				return false
			}
			have = 0
			for _, m := range haveRE.FindAllStringSubmatch(out, -1) {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				have += n
			}
			return true
		})
		if have < lastHave {
			t.Fatalf("restart %d found %d bytes verified, the one before %d: a checkpoint went backwards", kill, have, lastHave)
		}
		t.Logf("restart %d: %d of %d bytes verified from the checkpoints", kill, have, total)
		lastHave = have
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := d.ctl(t, "ls")
		if err == nil && strings.Count(out, " seeding ") == len(contents) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all complete after the kills:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for id, want := range contents {
		got, err := os.ReadFile(filepath.Join(state, "content", id))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("swarm %s differs after ten kills (%v)", id, err)
		}
	}
	d.stop(t)
}

// waitCheckpointRewritten waits until the checkpoint at path has been written twice by the
// running get (once when it opens the download, again once chunks are verified), or the
// get has finished.
func waitCheckpointRewritten(t *testing.T, path string, out *lockedBuffer) {
	t.Helper()
	var first os.FileInfo
	waitUntil(t, "a checkpoint with progress", func() bool {
		if strings.Contains(out.String(), "complete and verified") {
			return true
		}
		fi, err := os.Stat(path)
		if err != nil {
			return false
		}
		if first == nil {
			first = fi
			return false
		}
		return !fi.ModTime().Equal(first.ModTime()) || fi.Size() != first.Size()
	})
}

// waitUntil polls cond, failing after a generous bound (against hangs, not for speed).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
