package httpgw

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testGateway is a gateway serving on loopback, with a client of its own.
type testGateway struct {
	srv    *Server
	base   string
	client *http.Client
}

// startGateway runs a gateway on 127.0.0.1 until the test ends; cleanup waits for Run to
// return, so no goroutine of it outlives the test.
func startGateway(t *testing.T, m *fakeManager, opts Options) *testGateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, opts)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, ln) }()
	transport := &http.Transport{}
	g := &testGateway{srv: s, base: "http://" + ln.Addr().String(), client: &http.Client{Transport: transport}}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return g
}

// do sends a request and reads the whole reply.
func (g *testGateway) do(t *testing.T, method, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, g.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, body
}

func get(t *testing.T, g *testGateway, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	return g.do(t, http.MethodGet, path, header)
}

// randomContent is n bytes from a seeded generator: reproducible, and no container magic.
func randomContent(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	if n > 0 {
		b[0] = 0 // not 0x47, 0x1A, 0xFF or an ID3 tag
	}
	return b
}

// testID is a 20-byte swarm ID (a SHA-1 root hash's length) made from a small number.
func testID(n byte) swarms.ID {
	b := make([]byte, 20)
	b[0], b[19] = 0xf8, n
	return swarms.ID(b)
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s %s: status %d, want %d; body %q", resp.Request.Method, resp.Request.URL, resp.StatusCode, code, truncate(body))
	}
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

func itoa(n int) string { return strconv.Itoa(n) }
