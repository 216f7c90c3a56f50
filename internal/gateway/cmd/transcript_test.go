package cmdgw

import (
	"slices"
	"strings"
	"testing"
)

const transcriptPath = "../../../testdata/interop/cmdgw-transcript.txt"

// step is one client line of a recorded libswift session and the lines libswift sent
// before the client's next line.
type step struct {
	client  string
	replies []string
}

// readTranscript splits the transcript into sessions of steps.
func readTranscript(t *testing.T) map[string][]step {
	t.Helper()
	sessions := make(map[string][]step)
	var name string
	for _, raw := range strings.Split(readFile(t, transcriptPath), "\n") {
		line := strings.TrimSpace(raw)
		if s, ok := strings.CutPrefix(line, "## "); ok {
			name, _, _ = strings.Cut(s, ":")
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if name == "" || len(f) < 3 {
			continue
		}
		switch f[1] {
		case "C>":
			sessions[name] = append(sessions[name], step{client: f[2]})
		case "S<":
			if n := len(sessions[name]); n > 0 {
				sessions[name][n-1].replies = append(sessions[name][n-1].replies, f[2])
			}
		}
	}
	if len(sessions) != 5 {
		t.Fatalf("transcript: %d sessions, want 5", len(sessions))
	}
	return sessions
}

// TestTranscriptReplay drives the gateway with the client lines libswift's sessions
// recorded, each session on a fresh daemon, and checks that the replies libswift gave
// come back (INFO status 2 at START, PLAY with the HTTP gateway URL, MOREINFO after
// SETMOREINFO 1, ERROR with libswift's words), that every line has one of the
// documented forms, and that the connection outlives every ERROR.
func TestTranscriptReplay(t *testing.T) {
	for name, steps := range readTranscript(t) {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			ts := startServer(t, Options{})
			c := dialLines(t, ts.addr)
			for _, st := range steps {
				line := strings.ReplaceAll(st.client, "DESTDIR", "dl")
				c.send(line)
				replayExpect(t, c, line, st.replies)
			}
			// libswift closed the connection after an ERROR (and after SHUTDOWN); this
			// one still answers.
			if r := c.call("VERSION"); r[len(r)-1] != "OK" {
				t.Errorf("after the session, VERSION got %q", r)
			}
			checkForms(t, c.all)
			checkManagerCalls(t, name, ts.m.Calls())
		})
	}
}

// replayExpect awaits what libswift sent after line, where that does not depend on time.
func replayExpect(t *testing.T, c *lineConn, line string, replies []string) {
	t.Helper()
	if strings.HasPrefix(line, "SHUTDOWN") {
		// libswift exits; ppsppd refuses unless its config allows it.
		c.awaitPrefix("ERROR " + noSwarmHex + " shutdown refused: ")
		return
	}
	sawHashCheck := false
	for _, r := range replies {
		f := strings.Fields(r)
		switch {
		case f[0] == "ERROR":
			// Same words first; ppsppd then says why.
			c.awaitPrefix(r)
		case f[0] == "INFO" && f[2] == "2" && !sawHashCheck:
			sawHashCheck = true
			if got, _ := c.next(); got != r {
				t.Errorf("after %q: first line %q, want libswift's %q", line, got, r)
			}
			// Then the swarm's own INFO, once it is added.
			c.await("INFO after START", func(l string) bool {
				g := strings.Fields(l)
				return len(g) > 2 && g[0] == "INFO" && g[1] == f[1] && g[2] != "2"
			})
		case f[0] == "PLAY":
			c.await(r, func(l string) bool { return l == r })
		case f[0] == "MOREINFO":
			c.awaitPrefix("MOREINFO " + f[1] + " {")
		}
	}
	if strings.HasPrefix(line, "START ") && !sawHashCheck && len(replies) == 0 {
		// libswift had closed the connection by then (after an ERROR); ppsppd goes on.
		if _, err := ParseLine(line); err == nil {
			c.awaitPrefix("INFO " + line[strings.LastIndex(line, "/")+1:] + " 2 0/0 ")
		}
	}
}

// checkManagerCalls checks the commands with no reply reached the manager as meant:
// MAXSPEED's KiB/s as bytes/s, REMOVE's flags, CHECKPOINT, START's destdir.
func checkManagerCalls(t *testing.T, session string, calls []string) {
	t.Helper()
	const id = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"
	want := map[string][]string{
		"Session 1": {
			"add " + id + " peers=[127.0.0.1:20051] dest=dl/ cs=1024 size=-1",
			"limits " + id + " up=0 down=524288",
			"limits " + id + " up=262144 down=524288",
			"checkpoint " + id,
			"add abababababababababababababababababababab peers=[127.0.0.1:20051] dest= cs=1024 size=-1",
			"add cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd peers=[] dest= cs=1024 size=-1",
		},
		"Session 3": {"remove " + id + " state=false content=false"},
		"Session 5": {"remove " + id + " state=true content=true", "add " + id + " peers=[] dest=dl/ cs=1024 size=-1"},
	}[session]
	for _, w := range want {
		if !slices.Contains(calls, w) {
			t.Errorf("manager never got %q; calls: %q", w, calls)
		}
	}
}
