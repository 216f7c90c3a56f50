package httpgw

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

func TestMetrics(t *testing.T) {
	m := newFakeManager()
	content := randomContent(5000, 40)
	id := testID(40)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.srv.Collectors()...)

	var bodies int
	for _, req := range []struct{ path, rng string }{
		{"/" + id.String(), ""}, {"/" + id.String(), "bytes=0-99"}, {"/" + id.String(), "bytes=9000-"},
		{"/" + testID(41).String(), ""}, {"/zz", ""},
	} {
		_, body := get(t, g, req.path, map[string]string{"Range": req.rng})
		bodies += len(body)
	}

	for code, want := range map[string]float64{"200": 1, "206": 1, "416": 1, "404": 1, "400": 1} {
		if got := testutil.ToFloat64(g.srv.metrics.requests.WithLabelValues(code)); got != want {
			t.Errorf("requests_total{code=%q} = %v, want %v", code, got, want)
		}
	}
	// Every body byte the clients read, error texts included.
	if served := testutil.ToFloat64(g.srv.metrics.bytesServed); served != float64(bodies) {
		t.Errorf("served_bytes_total %v, want %d", served, bodies)
	}
	if n := testutil.CollectAndCount(g.srv.metrics.readWait); n != 1 {
		t.Errorf("read_wait_seconds: %d series", n)
	}
	if got := testutil.ToFloat64(g.srv.metrics.readsWaiting); got != 0 {
		t.Errorf("readers_waiting %v after all replies", got)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}
}

func TestWatchPage(t *testing.T) {
	m := newFakeManager()
	id := testID(42)
	m.put(id, completeSwarm(randomContent(100, 42), "Big <Buck> Bunny.mp4"))
	g := startGateway(t, m, Options{})

	resp, body := get(t, g, "/watch/"+id.String()+"?peer=127.0.0.1:7001&mt=video/mp4", nil)
	wantStatus(t, resp, body, http.StatusOK)
	page := string(body)
	for _, s := range []string{
		"<video", `src="/` + id.String() + `?peer=127.0.0.1:7001&amp;mt=video/mp4"`, "Big &lt;Buck&gt; Bunny.mp4",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q:\n%s", s, page)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestURL(t *testing.T) {
	id := swarms.ID("\xf8\x6b\x2d")
	s := New(newFakeManager(), Options{BaseURL: "http://example.test:6779/"})
	if got := s.URL(id); got != "http://example.test:6779/f86b2d" {
		t.Errorf("URL %q", got)
	}
	if got := s.WatchURL(id); got != "http://example.test:6779/watch/f86b2d" {
		t.Errorf("WatchURL %q", got)
	}

	s = New(newFakeManager(), Options{})
	if got := s.URL(id); got != "" {
		t.Errorf("URL before Run %q, want \"\"", got)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, ln) }()
	// Run sets the base before it serves, so a request answered means it is set.
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := s.URL(id), "http://"+ln.Addr().String()+"/f86b2d"; got != want {
		t.Errorf("URL %q, want %q", got, want)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestDialableAddr(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:6779":   "127.0.0.1:6779",
		"[::]:6779":      "[::1]:6779",
		"10.1.2.3:80":    "10.1.2.3:80",
		"127.0.0.1:6779": "127.0.0.1:6779",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := dialableAddr(a); got != want {
			t.Errorf("dialableAddr(%s) = %s, want %s", addr, got, want)
		}
	}
}

// With curl, when it is installed: the same requests as the libswift transcript.
func TestWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not on PATH; the net/http tests cover the same requests")
	}
	m := newFakeManager()
	content := randomContent(1048699, 43)
	id := testID(43)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	url := g.base + "/" + id.String()

	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-s", "-S", "--max-time", "20"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return string(out)
	}
	if body := run(url); body != string(content) {
		t.Errorf("curl GET: %d bytes, not the content", len(body))
	}
	if body := run("-r", "0-99", url); body != string(content[:100]) {
		t.Errorf("curl -r 0-99: %d bytes", len(body))
	}
	if body := run("-H", "Range: bytes=-123", url); body != string(content[len(content)-123:]) {
		t.Errorf("curl suffix range: %d bytes", len(body))
	}
	head := run("-I", url)
	for _, s := range []string{"HTTP/1.1 200", "Content-Length: 1048699", "Accept-Ranges: bytes", `Etag: "` + id.String() + `"`} {
		if !strings.Contains(head, s) {
			t.Errorf("curl -I lacks %q:\n%s", s, head)
		}
	}
	if code := run("-o", "/dev/null", "-w", "%{http_code}", "-r", "2000000-", url); code != "416" {
		t.Errorf("curl unsatisfiable range: %s", code)
	}
}
