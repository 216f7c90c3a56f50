package cmdgw

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestBadInputKeepsConnection sends each kind of bad input on one connection: each gets
// exactly one ERROR, and the connection still answers afterwards.
func TestBadInputKeepsConnection(t *testing.T) {
	ts := startServer(t, Options{MaxLineBytes: 256})
	c := dialLines(t, ts.addr)
	bad := []struct{ line, prefix string }{
		{"BOGUSCOMMAND x", "ERROR " + noSwarmHex + " unknown command"},
		{"MAXSPEED", "ERROR " + noSwarmHex + " missing parameter"},
		{"REMOVE " + hexID + " 0 0 extra", "ERROR " + noSwarmHex + " bad parameter"},
		{"CHECKPOINT xyz", "ERROR " + noSwarmHex + " bad parameter"},
		{"START nonsense", "ERROR " + noSwarmHex + " bad parameter"},
		{"CHECKPOINT " + hexID, "ERROR " + hexID + " unknown swarm"},
		{"REMOVE " + hexID + " 1 1", "ERROR " + hexID + " unknown swarm"},
		{"PEERS " + hexID, "ERROR " + hexID + " unknown swarm"},
		{"SHUTDOWN", "ERROR " + noSwarmHex + " shutdown refused: SHUTDOWN is disabled"},
		{strings.Repeat("A", 300), "ERROR " + noSwarmHex + " bad parameter: line longer than 256 bytes"},
		{"\x00\x01\x02\xff\xfe binary", "ERROR " + noSwarmHex + " bad parameter"},
	}
	for _, b := range bad {
		c.send(b.line)
		// This connection started no swarm, so the next line is the answer.
		l, ok := c.next()
		if !ok {
			t.Fatalf("%.40q: connection closed", b.line)
		}
		if !strings.HasPrefix(l, b.prefix) {
			t.Errorf("%.40q: got %q, want prefix %q", b.line, l, b.prefix)
		}
	}
	// One ERROR per bad line, and the connection still answers.
	if r := c.call("VERSION"); len(r) != 2 || r[1] != "OK" {
		t.Errorf("VERSION after the bad lines = %q", r)
	}
	checkForms(t, c.all)
	if n := ts.shutdowns.Load(); n != 0 {
		t.Errorf("Shutdown called %d times with AllowShutdown off", n)
	}
}

// TestVeryLongLineAndGarbageStream: a line far over the cap, then binary junk without
// any newline, then a half-close; the client gets ERRORs and a clean close, and the
// daemon goes on serving others.
func TestVeryLongLineAndGarbageStream(t *testing.T) {
	ts := startServer(t, Options{})
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	junk := make([]byte, 1<<20)
	for i := range junk {
		junk[i] = byte(i*7 + i>>8)
		if junk[i] == '\n' {
			junk[i] = 0
		}
	}
	go func() {
		// The server discards the junk as it reads; writes may fail once it closes.
		_, _ = nc.Write(junk)
		_ = nc.(*net.TCPConn).CloseWrite()
	}()
	_ = nc.SetReadDeadline(time.Now().Add(guard))
	r := bufio.NewReader(nc)
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			break // clean close (EOF) once the stream ended
		}
		lines = append(lines, strings.TrimRight(l, "\r\n"))
	}
	if len(lines) == 0 || !strings.Contains(lines[0], "line longer than 4096 bytes") {
		t.Errorf("got %q, want an ERROR for the over-long line first", lines)
	}
	checkForms(t, lines)
	other := dialLines(t, ts.addr)
	if r := other.call("LIST"); len(r) != 1 || r[0] != "OK" {
		t.Errorf("another client after the junk: LIST = %q", r)
	}
}

// TestHalfClosedClientGetsAnswers: a script that writes its commands and shuts its
// sending side still gets every reply, then a clean close; its swarm stays.
func TestHalfClosedClientGetsAnswers(t *testing.T) {
	ts := startServer(t, Options{})
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The last command has no line end: it still counts.
	if _, err := nc.Write([]byte("START tswift://127.0.0.1:20051/" + hexID + "\nVERSION\r\nLIST")); err != nil {
		t.Fatal(err)
	}
	if err := nc.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(guard))
	r := bufio.NewReader(nc)
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			break
		}
		lines = append(lines, strings.TrimRight(l, "\r\n"))
	}
	want := []string{
		"INFO " + hexID + " 2 0/0 0.000000 0.000000 0 0",
		"INFO " + hexID + " 0 0/1049600 0.000000 0.000000 0 1",
	}
	if len(lines) < 5 || lines[0] != want[0] || lines[1] != want[1] || !strings.HasPrefix(lines[2], "VERSION ") ||
		lines[3] != "OK" || !strings.HasPrefix(lines[4], "SWARM "+hexID+" ") || lines[len(lines)-1] != "OK" {
		t.Errorf("half-closed client got %q", lines)
	}
	checkForms(t, lines)
	if _, err := ts.m.Status(mustID(t, hexID)); err != nil {
		t.Errorf("the swarm went away with its client: %v", err)
	}
}

// TestClientLeavingKeepsDaemon: a client that STARTs a swarm and vanishes stops neither
// the swarm, nor the daemon, nor another client's reports.
func TestClientLeavingKeepsDaemon(t *testing.T) {
	ts := startServer(t, Options{})
	a := dialLines(t, ts.addr)
	b := dialLines(t, ts.addr)
	a.send("START tswift://127.0.0.1:20051/" + hexID)
	a.awaitPrefix("INFO " + hexID + " 0 ")
	const other = "abababababababababababababababababababab"
	b.send("START tswift://127.0.0.1:20051/" + other)
	b.awaitPrefix("INFO " + other + " 0 ")
	a.nc.Close()
	// b goes on getting INFO for its swarm, and only its own.
	for range 3 {
		l := b.awaitPrefix("INFO ")
		if !strings.HasPrefix(l, "INFO "+other+" ") {
			t.Errorf("client b got a report for a swarm it did not start: %q", l)
		}
	}
	if r := b.call("LIST"); len(r) != 3 {
		t.Errorf("LIST after a client left = %q, want both swarms and OK", r)
	}
	if ts.shutdowns.Load() != 0 {
		t.Error("a client leaving called Shutdown")
	}
}

// TestShutdownAllowed: with the config's consent SHUTDOWN calls Shutdown and closes the
// connection.
func TestShutdownAllowed(t *testing.T) {
	ts := startServer(t, Options{AllowShutdown: true})
	c := dialLines(t, ts.addr)
	c.send("SHUTDOWN")
	c.awaitClose()
	if n := ts.shutdowns.Load(); n != 1 {
		t.Errorf("Shutdown called %d times, want 1", n)
	}
	for _, l := range c.all {
		t.Errorf("SHUTDOWN answered %q; want a plain close", l)
	}
}

// TestStartDestinationOutsideContentDir: START's destdir reaches the manager, which
// refuses ".." and symlink escapes; the client gets ERROR bad swarm and goes on.
func TestStartDestinationOutsideContentDir(t *testing.T) {
	ts := startServer(t, Options{})
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(ts.root, "escape")); err != nil {
		t.Fatal(err)
	}
	c := dialLines(t, ts.addr)
	for _, dest := range []string{"../x", "escape", "escape/deeper", outside} {
		c.send("START tswift://127.0.0.1:20051/" + hexID + " " + dest)
		c.awaitPrefix("INFO " + hexID + " 2 ")
		l := c.awaitPrefix("ERROR ")
		if !strings.HasPrefix(l, "ERROR "+hexID+" bad swarm: ") || !strings.Contains(l, "outside the content directory") {
			t.Errorf("destdir %q: got %q", dest, l)
		}
	}
	c.send("START tswift://127.0.0.1:20051/" + hexID + " inside/dir")
	c.awaitPrefix("INFO " + hexID + " 0 ")
	st, err := ts.m.Status(mustID(t, hexID))
	if err != nil || st.Path != filepath.Join(ts.root, "inside", "dir") {
		t.Errorf("inside destination: status %+v, %v", st, err)
	}
	checkForms(t, c.all)
}

// TestManyClients: 300 clients at once each run a short session and get every answer.
func TestManyClients(t *testing.T) {
	ts := startServer(t, Options{})
	const clients = 300
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			errs <- oneSession(ts.addr, i)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(ts.m.List()); got != clients {
		t.Errorf("%d swarms after %d clients each added one", got, clients)
	}
}

// oneSession: ADD a swarm of its own, a bad line, LIST it; all answers must come.
func oneSession(addr string, i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	c, err := Dial(ctx, addr)
	if err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	defer c.Close()
	id := fmt.Sprintf("%040x", i+1)
	if _, err := c.Do(ctx, "ADD tswift://127.0.0.1:20051/"+id); err != nil {
		return fmt.Errorf("client %d: ADD: %w", i, err)
	}
	if _, err := c.Do(ctx, "NONSENSE"); err == nil || !strings.HasPrefix(err.Error(), "unknown command") {
		return fmt.Errorf("client %d: NONSENSE: %v", i, err)
	}
	r, err := c.Do(ctx, "LIST "+id)
	if err != nil || len(r) != 1 || !strings.HasPrefix(r[0], "SWARM "+id+" ") {
		return fmt.Errorf("client %d: LIST = %q, %v", i, r, err)
	}
	return nil
}

// TestClientCap: clients over MaxClients get an ERROR and a close; those within keep
// working, and a slot frees when a client leaves.
func TestClientCap(t *testing.T) {
	ts := startServer(t, Options{MaxClients: 5})
	var held []*lineConn
	for range 5 {
		c := dialLines(t, ts.addr)
		c.call("VERSION") // served, so it holds a slot
		held = append(held, c)
	}
	for range 3 {
		extra := dialLines(t, ts.addr)
		l, ok := extra.next()
		if !ok || !strings.HasPrefix(l, "ERROR "+noSwarmHex+" too many clients (at most 5)") {
			t.Errorf("client over the cap got %q", l)
		}
		extra.awaitClose()
	}
	for _, c := range held {
		if r := c.call("LIST"); len(r) != 1 || r[0] != "OK" {
			t.Errorf("client within the cap: LIST = %q", r)
		}
	}
	held[0].nc.Close()
	// Its slot frees once the server notices; a new client then gets served.
	deadline := time.Now().Add(guard)
	for {
		c := dialLines(t, ts.addr)
		c.send("VERSION")
		l, ok := c.next()
		if ok && strings.HasPrefix(l, "VERSION ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no slot freed after a client left; last reply %q", l)
		}
		c.nc.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunStopsEverything: ending Run's context closes busy connections and leaves no
// goroutine behind, even with a slow manager call in flight.
func TestRunStopsEverything(t *testing.T) {
	ts := startServer(t, Options{})
	ts.m.setAddDelay(time.Hour) // an ADD that only ctx can end
	var conns []*lineConn
	for range 20 {
		c := dialLines(t, ts.addr)
		c.send("START tswift://127.0.0.1:20051/" + hexID)
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.awaitPrefix("INFO " + hexID + " 2 ")
	}
	ts.stop(t)
	for _, c := range conns {
		c.awaitClose()
		c.nc.Close()
	}
	goleak.VerifyNone(t)
}
