package httpgw

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"go.uber.org/goleak"
)

// A read of a region not downloaded yet waits for it, moves the playback position there,
// and returns the right bytes once it arrives.
func TestReadWaitsForLaterContent(t *testing.T) {
	m := newFakeManager()
	content := randomContent(64*fakeChunk, 10)
	id := testID(10)
	f := newFakeSwarm(content, "film.mp4")
	f.waiting = make(chan int64, 16)
	m.put(id, f)
	g := startGateway(t, m, Options{})

	const from, to = 40*fakeChunk + 17, 44*fakeChunk + 99 // inclusive
	type reply struct {
		resp *http.Response
		body []byte
	}
	done := make(chan reply, 1)
	go func() {
		resp, body := get(t, g, "/"+id.String(), map[string]string{"Range": "bytes=" + itoa(from) + "-" + itoa(to)})
		done <- reply{resp, body}
	}()
	if off := <-f.waiting; off != from {
		t.Fatalf("first wait at %d, want %d", off, from)
	}
	// Content arrives out of order: the tail first, then what the read waits for.
	f.arrive(42*fakeChunk, 45*fakeChunk)
	f.arrive(40*fakeChunk, 42*fakeChunk)
	r := <-done
	wantStatus(t, r.resp, r.body, http.StatusPartialContent)
	if !bytes.Equal(r.body, content[from:to+1]) {
		t.Fatalf("body: %d bytes, not content[%d:%d]", len(r.body), from, to+1)
	}
	if pos := f.playbackPositions(); len(pos) == 0 || pos[0] != from {
		t.Errorf("playback positions %v, want the first at %d", pos, from)
	}
	// The handler closes its reader as it returns, which may be just after the client has
	// read the last byte.
	if n := readersAfterReply(f); n != 0 {
		t.Errorf("%d readers open after the reply", n)
	}
}

// readersAfterReply waits (a bounded time) for the handlers of finished replies to close
// their readers and returns how many are still open.
func readersAfterReply(f *fakeSwarm) int {
	deadline := time.Now().Add(5 * time.Second)
	for f.openReaders() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return f.openReaders()
}

// Two players of one swarm at different places each wait at their own position.
func TestSeveralReadersKeepTheirWindows(t *testing.T) {
	m := newFakeManager()
	content := randomContent(100*fakeChunk, 11)
	id := testID(11)
	f := newFakeSwarm(content, "film.mkv")
	f.waiting = make(chan int64, 16)
	m.put(id, f)
	g := startGateway(t, m, Options{})

	offsets := []int{10 * fakeChunk, 80 * fakeChunk}
	bodies := make(chan []byte, len(offsets))
	for _, off := range offsets {
		go func() {
			resp, body := get(t, g, "/"+id.String(), map[string]string{"Range": "bytes=" + itoa(off) + "-" + itoa(off+2*fakeChunk-1)})
			if resp.StatusCode != http.StatusPartialContent {
				t.Errorf("Range at %d: status %d", off, resp.StatusCode)
			}
			bodies <- body
		}()
	}
	waits := []int{int(<-f.waiting), int(<-f.waiting)}
	slices.Sort(waits)
	if !slices.Equal(waits, offsets) {
		t.Fatalf("readers wait at %v, want %v", waits, offsets)
	}
	if n := f.openReaders(); n != 2 {
		t.Errorf("%d readers open, want 2", n)
	}
	for _, off := range offsets {
		f.arrive(int64(off), int64(off+2*fakeChunk))
	}
	for range offsets {
		b := <-bodies
		if !bytes.Equal(b, content[offsets[0]:offsets[0]+2*fakeChunk]) && !bytes.Equal(b, content[offsets[1]:offsets[1]+2*fakeChunk]) {
			t.Errorf("a body of %d bytes matches neither range", len(b))
		}
	}
}

// A client that hangs up while its read waits for content that never comes leaves nothing
// behind: the wait ends, the reader is closed, and no goroutine remains.
func TestClientHangsUpWhileWaiting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		have   int64 // bytes that arrive before the request
		wait   int64 // where the read waits (-1: for the size)
	}{
		{name: "waiting for a range", header: map[string]string{"Range": "bytes=5000-"}, have: 0, wait: 5000},
		{name: "waiting for the first bytes", have: 0, wait: 0},
		{name: "mid-stream", have: 8 * fakeChunk, wait: 8 * fakeChunk},
		{name: "multiple ranges", header: map[string]string{"Range": "bytes=0-9,9000-9009"}, have: 1 * fakeChunk, wait: 9000},
		{name: "waiting for the size", wait: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Registered first, so it runs after the gateway's cleanup has stopped it.
			baseline := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, baseline) })
			m := newFakeManager()
			id := testID(12)
			f := newFakeSwarm(randomContent(16*fakeChunk, 12), "a.ts")
			f.waiting = make(chan int64, 16)
			f.closes = make(chan struct{}, 1)
			f.arrive(0, tc.have)
			if tc.wait == -1 {
				f.sizeKnown = false
			}
			m.put(id, f)
			// Run's shutdown waits for every handler, so once the gateway's cleanup is done
			// the reader must be closed (its window dropped); goleak then checks that
			// nothing else is left.
			t.Cleanup(func() {
				if n := f.openReaders(); n != 0 {
					t.Errorf("%d readers still open", n)
				}
			})
			g := startGateway(t, m, Options{})

			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/"+id.String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := g.client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				done <- err
			}()
			if off := <-f.waiting; off != tc.wait {
				t.Errorf("waiting at %d, want %d", off, tc.wait)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("client: %v, want context.Canceled", err)
			}
			// The hang-up alone, with the gateway still running, ends the wait and closes
			// the reader. (The timeout only turns a hang into a failure.)
			select {
			case <-f.closes:
			case <-time.After(10 * time.Second):
				t.Fatal("the reader was not closed after the client hung up")
			}
			if n := testutil.ToFloat64(g.srv.metrics.readsWaiting); n != 0 {
				t.Errorf("readers_waiting %v after the hang-up, want 0", n)
			}
		})
	}
}

// A swarm whose content does not start within StartTimeout gets a 504 that says why,
// rather than a connection that hangs.
func TestStartTimeout(t *testing.T) {
	m := newFakeManager()
	id := testID(13)
	f := newFakeSwarm(randomContent(4*fakeChunk, 13), "")
	f.sizeKnown = false
	f.errText = "no peer answered; retrying in 8s"
	m.put(id, f)
	g := startGateway(t, m, Options{StartTimeout: 50e6})

	resp, body := get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusGatewayTimeout)
	for _, s := range []string{"no content within 50ms", "no peer answered"} {
		if !strings.Contains(string(body), s) {
			t.Errorf("body %q lacks %q", body, s)
		}
	}
	if n := f.openReaders(); n != 0 {
		t.Errorf("%d readers open", n)
	}
}

// Run's context ending while a player streams (here: waits for content that never comes)
// stops the gateway after the bounded wait: the connection is closed, the read's wait ends,
// the reader is closed and Run returns with no goroutine left behind.
func TestShutdownWhileStreaming(t *testing.T) {
	baseline := goleak.IgnoreCurrent()
	m := newFakeManager()
	id := testID(14)
	f := newFakeSwarm(randomContent(16*fakeChunk, 14), "a.mp4")
	f.waiting = make(chan int64, 16)
	f.arrive(0, 4*fakeChunk)
	m.put(id, f)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, Options{ShutdownTimeout: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, ln) }()

	transport := &http.Transport{}
	client := &http.Client{Transport: transport}
	got := make(chan int64, 1)
	go func() {
		resp, err := client.Get("http://" + ln.Addr().String() + "/" + id.String())
		if err != nil {
			got <- -1
			return
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		got <- n
	}()
	if off := <-f.waiting; off != 4*fakeChunk {
		t.Errorf("waiting at %d, want %d", off, 4*fakeChunk)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := f.openReaders(); n != 0 {
		t.Errorf("%d readers open after Run returned", n)
	}
	if n := <-got; n != 4*fakeChunk {
		t.Errorf("client got %d bytes before the gateway stopped, want %d (what had arrived)", n, 4*fakeChunk)
	}
	transport.CloseIdleConnections()
	goleak.VerifyNone(t, baseline)
}

// The bytes read before a wait reach the player while the gateway waits for the next
// chunks: a player can play what has arrived.
func TestBytesBeforeAWaitReachTheClient(t *testing.T) {
	m := newFakeManager()
	content := randomContent(16*fakeChunk, 15)
	id := testID(15)
	f := newFakeSwarm(content, "a.mp4")
	f.waiting = make(chan int64, 16)
	f.arrive(0, 3*fakeChunk)
	m.put(id, f)
	g := startGateway(t, m, Options{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/"+id.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	first := make([]byte, 3*fakeChunk)
	read := make(chan error, 1)
	go func() {
		var err error
		if resp, err = g.client.Do(req); err == nil {
			_, err = io.ReadFull(resp.Body, first)
		}
		read <- err
	}()
	select {
	case err := <-read:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second): // only turns a hang into a failure
		cancel()
		<-read
		t.Fatal("the headers and arrived bytes did not reach the client while the gateway waited")
	}
	defer resp.Body.Close()
	if off := <-f.waiting; off != 3*fakeChunk {
		t.Errorf("waiting at %d, want %d", off, 3*fakeChunk)
	}
	f.arrive(3*fakeChunk, int64(len(content)))
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(first, rest...), content) {
		t.Error("body differs from the content")
	}
}
