package cmdgw

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLiveCommands drives LIVE SOURCE, LIVE JOIN (and ADD and START of a live link) and
// LIVE STOP through a connection: each gets its documented reply, the manager gets the
// spec the line says, and bad requests get one ERROR each.
func TestLiveCommands(t *testing.T) {
	ts := startServer(t, Options{SeedRoots: []string{contentRoot}})
	input := filepath.Join(ts.root, "cam.ts")
	if err := os.WriteFile(input, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := dialLines(t, ts.addr)

	r := c.call("LIVE SOURCE " + input + " chunk=8192 integrity=signall window=64 sig=ed25519")
	if len(r) != 2 || !strings.HasPrefix(r[0], "SWARM ") || !strings.HasSuffix(r[0], " live source") || r[1] != "OK" {
		t.Fatalf("LIVE SOURCE: %q", r)
	}
	srcID := strings.Fields(r[0])[1]
	if r := c.call("LIVE SOURCE /etc/passwd"); len(r) != 1 || !strings.Contains(r[0], "bad parameter: /etc/passwd is outside") {
		t.Fatalf("LIVE SOURCE outside the roots: %q", r)
	}
	if r := c.call("LIVE SOURCE " + input); len(r) != 1 || !strings.HasPrefix(r[0], "ERROR "+srcID+" live source: ") {
		t.Fatalf("second LIVE SOURCE of one input: %q", r)
	}

	link := "tswift://127.0.0.1:6778/" + liveHex
	if r := c.call("LIVE JOIN " + link + " window=100"); len(r) != 2 || !strings.HasSuffix(r[0], " live") || r[1] != "OK" {
		t.Fatalf("LIVE JOIN: %q", r)
	}
	if r := c.call("ADD " + link + " peer=127.0.0.1:9"); len(r) != 2 || r[1] != "OK already added" {
		t.Fatalf("ADD of a live link held: %q", r)
	}
	if r := c.call("ADD " + link + " dest=x"); len(r) != 1 || !strings.Contains(r[0], "dest= for a live stream") {
		t.Fatalf("ADD dest= of a live link: %q", r)
	}
	if r := c.call("LIVE STOP " + liveHex); len(r) != 1 || r[0] != "OK" {
		t.Fatalf("LIVE STOP: %q", r)
	}
	if r := c.call("LIVE STOP " + liveHex); len(r) != 1 || r[0] != "ERROR "+liveHex+" unknown swarm" {
		t.Fatalf("LIVE STOP of a stopped stream: %q", r)
	}

	// START of a live link joins it, reports INFO, and PLAY once a chunk is held.
	c.send("START " + link + " somedir")
	c.awaitPrefix("INFO " + liveHex + " 2 0/0 ")
	c.awaitPrefix("PLAY " + liveHex + " " + testHTTPBase + "/" + liveHex)

	// A static swarm is not stopped by LIVE STOP.
	if r := c.call("ADD tswift://127.0.0.1:1/" + hexID); r[len(r)-1] != "OK" {
		t.Fatalf("ADD static: %q", r)
	}
	if r := c.call("LIVE STOP " + hexID); len(r) != 1 || !strings.Contains(r[0], "not a live swarm") {
		t.Fatalf("LIVE STOP of a static swarm: %q", r)
	}
	checkForms(t, c.all)

	calls := ts.m.Calls()
	for _, want := range []string{
		"live source " + input + " follow=true key= sig=ed25519 cs=8192 method=sign-all window=64",
		"live join " + liveHex + " peers=[127.0.0.1:6778] cs=1024 window=100",
		"live join " + liveHex + " peers=[127.0.0.1:6778 127.0.0.1:9] cs=1024 window=0",
		"remove " + liveHex + " state=false content=false",
	} {
		if !slices.Contains(calls, want) {
			t.Errorf("manager calls %q lack %q", calls, want)
		}
	}
}

// staticOnly hides the fake's live methods: a manager without LiveManager.
type staticOnly struct{ Manager }

// TestLiveWithoutLiveManager: with a manager that runs no live streams, LIVE commands and
// START of a live link get an ERROR that says so, and the connection goes on.
func TestLiveWithoutLiveManager(t *testing.T) {
	root := t.TempDir()
	s := New(staticOnly{newFakeManager(root)}, Options{SeedRoots: []string{root}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c := dialLines(t, ln.Addr().String())
	for _, line := range []string{"LIVE SOURCE " + filepath.Join(root, "x.ts"), "LIVE JOIN " + liveHex} {
		if r := c.call(line); len(r) != 1 || !strings.Contains(r[0], "runs no live streams") {
			t.Errorf("%s: %q", line, r)
		}
	}
	c.send("START tswift://127.0.0.1:1/" + liveHex)
	if l := c.awaitPrefix("ERROR "); !strings.Contains(l, "runs no live streams") {
		t.Errorf("START of a live link: %q", l)
	}
	if r := c.call("VERSION"); r[len(r)-1] != "OK" {
		t.Errorf("VERSION after: %q", r)
	}
}
