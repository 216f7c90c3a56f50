package httpgw

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// putLive makes id a live swarm of m, served from buf.
func (m *fakeManager) putLive(id swarms.ID, buf *livebuf.Buffer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		m.live = map[swarms.ID]*livebuf.Buffer{}
	}
	m.live[id] = buf
}

// LiveBuffer makes fakeManager a LiveManager, as *swarms.Manager is.
func (m *fakeManager) LiveBuffer(id swarms.ID) (*livebuf.Buffer, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	buf, ok := m.live[id]
	return buf, ok
}

// The live page's tswift link asks the real manager for its address as it asks the fake.
var _ localAddrer = (*swarms.Manager)(nil)

// LocalAddr is the fake daemon's PPSPP address, for the live page's link.
func (m *fakeManager) LocalAddr() netip.AddrPort { return netip.MustParseAddrPort("127.0.0.1:6778") }

// liveID is a live swarm ID as ECDSA P-256 makes them (RFC 7574 §6.1): the algorithm byte
// 13 and a 64-byte public key, 130 hex digits.
func liveID(n byte) swarms.ID {
	b := bytes.Repeat([]byte{n}, 65)
	b[0] = 13
	return swarms.ID(b)
}

const liveChunk = 1024

// liveChunks cuts s into liveChunk-byte chunks.
func liveChunks(s []byte) [][]byte {
	var out [][]byte
	for len(s) >= liveChunk {
		out = append(out, s[:liveChunk])
		s = s[liveChunk:]
	}
	return out
}

// newLiveSwarm holds the chunks of stream from 0 to have-1, in a buffer of capacity.
func newLiveSwarm(stream []byte, have int, capacity uint64) (*livebuf.Buffer, [][]byte) {
	buf := livebuf.New(liveChunk, capacity)
	cs := liveChunks(stream)
	for i := range have {
		buf.Put(uint64(i), cs[i])
	}
	return buf, cs
}

// feed puts chunks from..to-1 into buf on a goroutine of its own; the returned channel
// closes when it is done. skip names chunks it leaves out (lost upstream).
func feed(buf *livebuf.Buffer, cs [][]byte, from, to int, skip ...int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := from; i < to; i++ {
			if contains(skip, i) {
				continue
			}
			buf.Put(uint64(i), cs[i])
		}
	}()
	return done
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// openLive sends a request and returns once the headers are in; cancel hangs up.
func openLive(t *testing.T, g *testGateway, method, path string, header map[string]string) (*http.Response, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp, cancel
}

// waitLiveStreams waits until n live responses are streaming: the gateway's handlers
// have started, or (n = 0) have returned. The test's timeout bounds it.
func waitLiveStreams(g *testGateway, n float64) {
	for testutil.ToFloat64(g.srv.metrics.liveStreams) != n {
		time.Sleep(time.Millisecond)
	}
}

// wantLiveHeaders checks what every live response says.
func wantLiveHeaders(t *testing.T, resp *http.Response, ctype string) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if resp.ContentLength != -1 || resp.Header.Get("Content-Length") != "" {
		t.Errorf("Content-Length %q (%d): a live stream has no length", resp.Header.Get("Content-Length"), resp.ContentLength)
	}
	for k, want := range map[string]string{"Content-Type": ctype, "Cache-Control": "no-store", "Accept-Ranges": "none"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
}

// A client gets exactly the bytes from the tune-in point on, in order, as they arrive.
func TestLiveStreamsFromTuneIn(t *testing.T) {
	m := newFakeManager()
	id := liveID(1)
	stream := randomContent(100*liveChunk, 1)
	buf, cs := newLiveSwarm(stream, 20, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{LiveLag: 8})

	resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String(), nil)
	defer hangUp()
	defer resp.Body.Close()
	wantLiveHeaders(t, resp, octetStream)
	fed := feed(buf, cs, 20, 100)
	defer func() { <-fed }()

	// Edge 19, lag 8: chunk 11 on, from its first byte (not MPEG-TS).
	got := make([]byte, (100-11)*liveChunk)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if !bytes.Equal(got, stream[11*liveChunk:]) {
		t.Fatal("the bytes are not chunks 11..99 in order")
	}
	hangUp()
	waitLiveStreams(g, 0)
	if served := testutil.ToFloat64(g.srv.metrics.liveServed); served != float64(len(got)) {
		t.Errorf("live_served_bytes_total %v, want %d", served, len(got))
	}
}

// A chunk lost upstream is skipped once the stream is well past it, and counted.
func TestLiveSkipsLostChunk(t *testing.T) {
	m := newFakeManager()
	id := liveID(2)
	stream := randomContent(120*liveChunk, 2)
	buf, cs := newLiveSwarm(stream, 10, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{LiveLag: 8})

	resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String(), nil)
	defer hangUp()
	defer resp.Body.Close()
	<-feed(buf, cs, 10, 120, 30)
	// Edge 9, lag 8: chunk 1 on.
	want := append(append([]byte(nil), stream[1*liveChunk:30*liveChunk]...), stream[31*liveChunk:]...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("want chunks 1..29 and 31..119")
	}
	hangUp()
	waitLiveStreams(g, 0)
	if n := testutil.ToFloat64(g.srv.metrics.liveSkipped); n != 1 {
		t.Errorf("live_skipped_chunks_total %v, want 1", n)
	}
}

// tsLiveStream is n MPEG-TS packets with a PAT every patEvery packets (0: none); the PATs'
// offsets come back too.
func tsLiveStream(n, patEvery int) ([]byte, []int) {
	var out []byte
	var pats []int
	for k := range n {
		p := bytes.Repeat([]byte{0xff}, 188)
		pid := 0x100
		if patEvery > 0 && k%patEvery == 0 {
			pid = 0
			pats = append(pats, len(out))
		}
		p[0], p[1], p[2], p[3] = 0x47, 0x40|byte(pid>>8), byte(pid), 0x10|byte(k&0x0f)
		out = append(out, p...)
	}
	return out, pats
}

// For MPEG-TS the response starts at a packet boundary: a PAT when one is near the edge.
func TestLiveTSStartsAtPacket(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patEvery int
	}{{"PAT", 40}, {"no PAT", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeManager()
			id := liveID(3)
			stream, pats := tsLiveStream(40*liveChunk/188, tc.patEvery)
			buf, _ := newLiveSwarm(stream, 30, 4096)
			m.putLive(id, buf)
			g := startGateway(t, m, Options{LiveLag: 8})

			resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String(), nil)
			defer hangUp()
			defer resp.Body.Close()
			wantLiveHeaders(t, resp, "video/mp2t")

			// Chunk 21 (edge 29, lag 8) on: its first packet, or the first PAT from it on.
			start := 21 * liveChunk
			start += (188 - start%188) % 188
			for _, p := range pats {
				if p >= 21*liveChunk {
					start = p
					break
				}
			}
			got := make([]byte, 30*liveChunk-start)
			if _, err := io.ReadFull(resp.Body, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, stream[start:30*liveChunk]) {
				t.Fatalf("response is not the stream from byte %d", start)
			}
			if got[0] != 0x47 || (tc.patEvery > 0 && (got[1]&0x40 == 0 || got[1]&0x1f != 0 || got[2] != 0)) {
				t.Fatalf("response starts with % x", got[:4])
			}
		})
	}
}

// A Range request gets the whole live stream, 200; HEAD the headers only.
func TestLiveRangeAndHead(t *testing.T) {
	m := newFakeManager()
	id := liveID(4)
	stream := randomContent(20*liveChunk, 4)
	buf, _ := newLiveSwarm(stream, 20, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{LiveLag: 3})

	resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String()+"$1024", map[string]string{"Range": "bytes=100-199"})
	wantLiveHeaders(t, resp, octetStream)
	got := make([]byte, 4*liveChunk)
	if _, err := io.ReadFull(resp.Body, got); err != nil || !bytes.Equal(got, stream[16*liveChunk:]) {
		t.Fatalf("ranged live response: %v, or not chunks 16..19", err)
	}
	hangUp()
	resp.Body.Close()

	resp, body := g.do(t, http.MethodHead, "/"+id.String()+"/live.ts", nil)
	wantLiveHeaders(t, resp, "video/mp2t") // the path's name sets the type
	if len(body) != 0 {
		t.Errorf("HEAD body of %d bytes", len(body))
	}
	waitLiveStreams(g, 0)
}

// A client that hangs up ends its handler, which was waiting for the next chunk.
func TestLiveClientGoneEndsHandler(t *testing.T) {
	m := newFakeManager()
	id := liveID(5)
	buf, _ := newLiveSwarm(randomContent(10*liveChunk, 5), 10, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{})

	resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String(), nil)
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 8*liveChunk)); err != nil {
		t.Fatal(err)
	}
	waitLiveStreams(g, 1)
	hangUp()
	waitLiveStreams(g, 0) // the handler returned; goleak checks its goroutines at the end
}

// A live swarm that ends (removed, stopped) ends its responses.
func TestLiveEndsWithSwarm(t *testing.T) {
	m := newFakeManager()
	id := liveID(6)
	stream := randomContent(10*liveChunk, 6)
	buf, _ := newLiveSwarm(stream, 10, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{})

	resp, hangUp := openLive(t, g, http.MethodGet, "/"+id.String(), nil)
	defer hangUp()
	defer resp.Body.Close()
	got := make([]byte, 9*liveChunk) // edge 9, lag 8: chunks 1..9
	if _, err := io.ReadFull(resp.Body, got); err != nil || !bytes.Equal(got, stream[liveChunk:]) {
		t.Fatalf("%v, or not chunks 1..9", err)
	}
	buf.Close()
	if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) != 0 {
		t.Fatalf("after the swarm ended: %d more bytes, %v; want a clean end", len(rest), err)
	}
	resp, body := get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusNotFound)
}

func TestLiveNoChunkYet(t *testing.T) {
	m := newFakeManager()
	id := liveID(7)
	m.putLive(id, livebuf.New(liveChunk, 16))
	g := startGateway(t, m, Options{StartTimeout: 20 * time.Millisecond})
	resp, body := get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusGatewayTimeout)
}

func TestLiveWatchPage(t *testing.T) {
	m := newFakeManager()
	id := liveID(8)
	buf, _ := newLiveSwarm(randomContent(liveChunk, 8), 1, 16)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{})
	resp, body := get(t, g, "/watch/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	page := string(body)
	for _, s := range []string{
		`<video`, `src="/` + id.String() + `"`, "tswift://127.0.0.1:6778/" + id.String(),
		"mpv", "VLC", "ffplay", g.base + "/" + id.String(),
	} {
		if !strings.Contains(page, s) {
			t.Errorf("live page lacks %q:\n%s", s, page)
		}
	}
}

// A manager without LiveManager serves static swarms as before.
type staticOnly struct{ f *fakeManager }

func (s staticOnly) Status(id swarms.ID) (swarms.Status, error) { return s.f.Status(id) }
func (s staticOnly) Add(ctx context.Context, spec swarms.AddSpec) (swarms.Status, error) {
	return s.f.Add(ctx, spec)
}
func (s staticOnly) OpenReader(ctx context.Context, id swarms.ID) (*fakeReader, error) {
	return s.f.OpenReader(ctx, id)
}

func TestNoLiveManager(t *testing.T) {
	m := newFakeManager()
	content := randomContent(3000, 9)
	m.put(testID(9), completeSwarm(content, ""))
	s := New(staticOnly{m}, Options{})
	if s.live != nil || s.local != nil {
		t.Fatal("a manager without LiveBuffer or LocalAddr taken for one with them")
	}
	if s2 := New(m, Options{}); s2.live == nil || s2.local == nil {
		t.Fatal("the manager's LiveBuffer and LocalAddr not found")
	}
}
