package cmdgw

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/testcontent"
)

// TestTranscriptReplayRealDaemon drives the gateway, in front of a real swarm manager, with
// the client lines of libswift's recorded session 1, against a real seeder of the very
// content libswift used (c1MiB123.bin, swarm f86b2d68…), over real TCP and UDP on
// loopback. Every reply line must have one of the documented forms, libswift's replies that
// do not depend on time must come back, and the download must complete byte for byte.
func TestTranscriptReplayRealDaemon(t *testing.T) {
	const id = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"
	dir := t.TempDir()
	content := testcontent.PyRandBytes(1, 1<<20+123) // gen_content.py's c1MiB123.bin
	src := filepath.Join(dir, "c1MiB123.bin")
	if err := os.WriteFile(src, content, 0o644); err != nil {
		t.Fatal(err)
	}
	seeder := runManager(t, swarms.Config{})
	st, err := seeder.Seed(context.Background(), swarms.SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	if st.ID.String() != id {
		t.Fatalf("seeded swarm %v, libswift's transcript has %s", st.ID, id)
	}
	contentDir := filepath.Join(dir, "content")
	leecher := runManager(t, swarms.Config{ContentDir: contentDir, StateDir: filepath.Join(dir, "state")})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(leecher, Options{HTTPBase: testHTTPBase, InfoInterval: 50 * time.Millisecond}).Run(ctx, ln)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	c := dialLines(t, ln.Addr().String())
	steps := readTranscript(t)["Session 1"]
	for _, s := range steps {
		line := strings.ReplaceAll(s.client, "DESTDIR", "dl")
		line = strings.ReplaceAll(line, "127.0.0.1:20051", seeder.LocalAddr().String())
		c.send(line)
		expectInterleaved(t, c, line, s.replies)
		if strings.HasPrefix(line, "START tswift://") && strings.Contains(line, id) {
			// libswift's INFO once the download is done: state 4 with the whole size.
			c.awaitPrefix("INFO " + id + " 4 1048699/1048699 ")
		}
	}
	if r := c.call("VERSION"); r[len(r)-1] != "OK" {
		t.Errorf("after the session, VERSION got %q", r)
	}
	checkForms(t, c.all)
	got, err := os.ReadFile(filepath.Join(contentDir, "dl", id))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded content differs (%v)", err)
	}
	// MAXSPEED reached the manager as bytes/s.
	s, err := leecher.Status(swarms.ID(mustHex(t, id)))
	if err != nil || s.Limits != (swarms.Limits{Up: 256 * 1024, Down: 512 * 1024}) {
		t.Fatalf("limits after MAXSPEED: %+v, %v", s.Limits, err)
	}
}

// expectInterleaved awaits libswift's time-independent replies to line while INFO lines
// of other swarms (sent every InfoInterval) come in between, as they do from libswift.
func expectInterleaved(t *testing.T, c *lineConn, line string, replies []string) {
	t.Helper()
	for _, r := range replies {
		f := strings.Fields(r)
		switch {
		case f[0] == "ERROR":
			c.awaitPrefix(r)
		case f[0] == "INFO" && f[2] == "2", f[0] == "PLAY":
			c.await(r, func(l string) bool { return l == r })
		case f[0] == "MOREINFO":
			c.awaitPrefix("MOREINFO " + f[1] + " {")
		}
	}
	if strings.HasPrefix(line, "START ") && len(replies) == 0 {
		// libswift had exited by then (after an ERROR); ppsppd goes on.
		hex := line[strings.LastIndex(line, "/")+1:]
		c.awaitPrefix("INFO " + hex + " 2 0/0 ")
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	id, err := swarms.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(id)
}

// runManager runs a real swarm manager on loopback for the test.
func runManager(t *testing.T, cfg swarms.Config) *swarms.Manager {
	t.Helper()
	cfg.Node = node.Config{Listen: "127.0.0.1:0"}
	cfg.Tick = 20 * time.Millisecond
	m, err := swarms.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return m
}
