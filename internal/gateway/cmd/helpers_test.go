package cmdgw

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// guard bounds every wait in these tests so a bug fails the test instead of hanging it;
// it is not a performance limit.
const guard = 20 * time.Second

const testHTTPBase = "http://127.0.0.1:21080"

// contentRoot in Options.SeedRoots stands for the test server's content directory, made
// by startServer.
const contentRoot = "<content root>"

type testServer struct {
	addr      string
	m         *fakeManager
	root      string
	cancel    context.CancelFunc
	done      chan error
	shutdowns atomic.Int32
}

// startServer runs a gateway on 127.0.0.1:0 with a fake manager; INFO ticks fast so the
// tests need not wait a second for each report.
func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{root: root, m: newFakeManager(root), done: make(chan error, 1)}
	if opts.InfoInterval == 0 {
		opts.InfoInterval = 20 * time.Millisecond
	}
	for i, r := range opts.SeedRoots {
		if r == contentRoot {
			opts.SeedRoots[i] = root
		}
	}
	if opts.HTTPBase == "" {
		opts.HTTPBase = testHTTPBase
	}
	if opts.Shutdown == nil {
		opts.Shutdown = func() { ts.shutdowns.Add(1) }
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	s := New(ts.m, opts)
	go func() { ts.done <- s.Run(ctx, ln) }()
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

// stop ends Run and checks it returned cleanly; safe to call twice.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("Run did not return after its context ended")
	}
}

// lineConn is a test client that reads reply lines in the background and checks each
// ends with CRLF.
type lineConn struct {
	t     *testing.T
	nc    net.Conn
	lines chan string
	all   []string // every line received so far
}

func dialLines(t *testing.T, addr string) *lineConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &lineConn{t: t, nc: nc, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		r := bufio.NewReader(nc)
		for {
			l, err := r.ReadString('\n')
			if l != "" {
				c.lines <- l
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { nc.Close() })
	return c
}

func (c *lineConn) send(line string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// next returns the next line without its CRLF; ok is false once the server closed.
func (c *lineConn) next() (string, bool) {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return "", false
		}
		if !strings.HasSuffix(l, "\r\n") {
			c.t.Errorf("line %q does not end with CRLF", l)
		}
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		c.all = append(c.all, l)
		return l, true
	case <-time.After(guard):
		c.t.Fatalf("no line from the server; so far: %q", c.all)
		return "", false
	}
}

// await reads lines until one satisfies match, and returns it.
func (c *lineConn) await(what string, match func(string) bool) string {
	c.t.Helper()
	for {
		l, ok := c.next()
		if !ok {
			c.t.Fatalf("connection closed while waiting for %s; got %q", what, c.all)
		}
		if match(l) {
			return l
		}
	}
}

func (c *lineConn) awaitPrefix(prefix string) string {
	c.t.Helper()
	return c.await(prefix, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// call sends one of ppsppd's commands and returns its reply lines up to OK (included) or
// an ERROR, skipping periodic reports.
func (c *lineConn) call(line string) []string {
	c.t.Helper()
	c.send(line)
	var reply []string
	for {
		l, ok := c.next()
		if !ok {
			c.t.Fatalf("%q: connection closed; got %q", line, c.all)
		}
		if reportLine.MatchString(l) {
			continue
		}
		reply = append(reply, l)
		if l == "OK" || strings.HasPrefix(l, "OK ") || strings.HasPrefix(l, "ERROR ") {
			return reply
		}
	}
}

// awaitClose reads until the server closes the connection.
func (c *lineConn) awaitClose() {
	c.t.Helper()
	for {
		if _, ok := c.next(); !ok {
			return
		}
	}
}

var reportLine = regexp.MustCompile(`^(INFO|PLAY|MOREINFO) `)

// Every line form the gateway sends.
var lineForms = []*regexp.Regexp{
	regexp.MustCompile(`^INFO [0-9a-f]+ [0-6] \d+/\d+ \d+\.\d{6} \d+\.\d{6} \d+ \d+$`),
	regexp.MustCompile(`^PLAY ([0-9a-f]+) http://127\.0\.0\.1:21080/([0-9a-f]+)$`),
	regexp.MustCompile(`^MOREINFO [0-9a-f]+ \{"timestamp":"\d+\.\d{5}", "channels":\[.*\], "raw_bytes_up": \d+, "raw_bytes_down": \d+, "bytes_up": \d+, "bytes_down": \d+ \}$`),
	regexp.MustCompile(`^ERROR [0-9a-f]{40,} (unknown command|missing parameter|bad parameter|bad swarm|unknown swarm|shutdown refused|too many clients|remove|maxspeed|checkpoint|setmoreinfo|peeraddr|list|peers|limit|live source|live stop)(: [[:print:]]*| \(.*)?$`),
	regexp.MustCompile(`^SWARM [0-9a-f]+ (allocating|hashchecking|downloading|seeding|stopped|error) \d+/\d+ \d+ \d+ \d+( [[:print:]]+)?$`),
	regexp.MustCompile(`^PEER \S+:\d+ (seeder|leecher)( \d+){5}$`),
	regexp.MustCompile(`^LIMIT ([0-9a-f]+|global) up=\d+ down=\d+$`),
	regexp.MustCompile(`^HELP [[:print:]]+$`),
	regexp.MustCompile(`^VERSION ppsppd [[:print:]]+$`),
	regexp.MustCompile(`^OK( already added)?$`),
}

// checkForms fails for any line that has none of the gateway's forms, and for MOREINFO
// JSON that does not parse or PLAY lines whose two IDs differ.
func checkForms(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		matched := false
		for _, re := range lineForms {
			if m := re.FindStringSubmatch(l); m != nil {
				matched = true
				if strings.HasPrefix(l, "PLAY ") && m[1] != m[2] {
					t.Errorf("PLAY line names two swarms: %q", l)
				}
			}
		}
		if !matched {
			t.Errorf("reply line %q has no known form", l)
		}
		if rest, ok := strings.CutPrefix(l, "MOREINFO "); ok {
			_, js, _ := strings.Cut(rest, " ")
			var v map[string]any
			if err := json.Unmarshal([]byte(js), &v); err != nil {
				t.Errorf("MOREINFO JSON: %v in %q", err, js)
			}
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
