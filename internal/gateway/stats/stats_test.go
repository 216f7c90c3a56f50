package stats

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// fakeSource is the swarm manager as the gateway sees it, in plain types.
type fakeSource struct {
	metrics swarmapi.NodeMetrics
	list    []swarmapi.Status
	addr    netip.AddrPort
	err     error
}

func (f fakeSource) Metrics(context.Context) (swarmapi.NodeMetrics, error) { return f.metrics, f.err }
func (f fakeSource) List() []swarmapi.Status                               { return f.list }
func (f fakeSource) LocalAddr() netip.AddrPort                             { return f.addr }

func testSource() fakeSource {
	return fakeSource{
		metrics: swarmapi.NodeMetrics{
			DatagramsIn: 10, DatagramsOut: 20, ChunksVerified: 5, BadChunks: 1, Channels: 2,
			Drops:      []swarmapi.Count{{Name: "malformed", Value: 3}, {Name: "early", Value: 0}},
			Closed:     []swarmapi.Count{{Name: "peer", Value: 4}, {Name: "timeout", Value: 1}},
			PeerFaults: []swarmapi.Count{{Name: "bad_peaks", Value: 2}},
		},
		list: []swarmapi.Status{
			{ID: "\x01\x02", State: swarmapi.StateDownloading, Name: "movie.mp4", Path: "/srv/content/movie.mp4",
				ChunkSize: 4096, Hash: "sha1", Size: 16000, Have: 12288, HaveChunks: 3, TotalChunks: 4,
				Peers: 1, Downloaded: 12288, Uploaded: 512, DownRate: 2048},
			{ID: "\x03\x04", State: swarmapi.StateError, Err: "no space left on device", Name: "big.iso",
				Path: "/srv/content/big.iso", ChunkSize: 1024, Hash: "sha256", Size: -1},
		},
		addr: netip.MustParseAddrPort("0.0.0.0:6778"),
	}
}

// TestMetricsLint runs client_golang's linter over everything the gateway exports.
func TestMetricsLint(t *testing.T) {
	src := testSource()
	s := New(src, Options{Version: "test"})
	problems, err := testutil.GatherAndLint(s.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	// One dropped series per drop reason, two chunk series (verified, total), one error,
	// one state and two payload series (rx, tx) per swarm.
	swarms := len(src.list)
	want := len(src.metrics.Drops) + 2*swarms + swarms + swarms + 2*swarms
	n, err := testutil.GatherAndCount(s.reg, "ppsppd_datagrams_dropped_total", "ppsppd_swarm_chunks",
		"ppsppd_swarm_error", "ppsppd_swarm_state", "ppsppd_swarm_payload_bytes_total")
	if err != nil || n != want {
		t.Fatalf("%d series, want %d; %v", n, want, err)
	}
}

// series gathers one metric family as label values → value, keyed by the values of the
// given labels joined with "/".
func series(t *testing.T, reg *prometheus.Registry, name string, labels ...string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var key []string
			for _, want := range labels {
				for _, l := range m.GetLabel() {
					if l.GetName() == want {
						key = append(key, l.GetValue())
					}
				}
			}
			got[strings.Join(key, "/")] = value(m)
		}
	}
	return got
}

func value(m *dto.Metric) float64 {
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

// managerDropReasons runs a real swarm manager on loopback and returns the drop reasons
// its Metrics name (internal/swarms' tests check they are every reason the engine has).
func managerDropReasons(t *testing.T) []string {
	t.Helper()
	m, err := swarms.New(swarms.Config{Node: node.Config{Listen: "127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-m.Ready()
	nm, err := m.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range nm.Drops {
		names = append(names, c.Name)
	}
	return names
}

// TestDropReasonSeries: the dropped-datagram counter has one series per drop reason a
// real manager names, labelled with the reason's name and carrying its count.
func TestDropReasonSeries(t *testing.T) {
	src := testSource()
	names := managerDropReasons(t)
	if len(names) == 0 {
		t.Fatal("the manager names no drop reason")
	}
	src.metrics.Drops = nil
	for i, n := range names {
		src.metrics.Drops = append(src.metrics.Drops, swarmapi.Count{Name: n, Value: uint64(100 + i)})
	}
	s := New(src, Options{Version: "test"})
	got := series(t, s.reg, "ppsppd_datagrams_dropped_total", "reason")
	if len(got) != len(names) {
		t.Fatalf("%d dropped series %v, want one per drop reason (%d)", len(got), got, len(names))
	}
	for i, n := range names {
		if v, ok := got[n]; !ok || v != float64(100+i) {
			t.Errorf("reason %q: series present %v, value %v, want %d", n, ok, v, 100+i)
		}
	}
	causes := series(t, s.reg, "ppsppd_channels_closed_total", "cause")
	if len(causes) != 2 || causes["peer"] != 4 || causes["timeout"] != 1 {
		t.Errorf("close causes %v", causes)
	}
}

// TestSwarmSeries: per-swarm series come from the manager's statuses: chunks, peers,
// payload bytes by direction, the state as libswift's code, an error flag only for a
// swarm in the error state, and a count of swarms in every state.
func TestSwarmSeries(t *testing.T) {
	s := New(testSource(), Options{Version: "test"})
	chunks := series(t, s.reg, "ppsppd_swarm_chunks", "swarm", "state")
	if chunks["0102/verified"] != 3 || chunks["0102/total"] != 4 || chunks["0304/total"] != 0 {
		t.Errorf("swarm_chunks %v", chunks)
	}
	payload := series(t, s.reg, "ppsppd_swarm_payload_bytes_total", "swarm", "direction")
	if payload["0102/rx"] != 12288 || payload["0102/tx"] != 512 || payload["0304/rx"] != 0 {
		t.Errorf("swarm_payload_bytes_total %v", payload)
	}
	state := series(t, s.reg, "ppsppd_swarm_state", "swarm")
	if state["0102"] != 3 || state["0304"] != 6 {
		t.Errorf("swarm_state %v, want 3 (downloading) and 6 (error)", state)
	}
	errs := series(t, s.reg, "ppsppd_swarm_error", "swarm")
	if errs["0102"] != 0 || errs["0304"] != 1 {
		t.Errorf("swarm_error %v", errs)
	}
	byState := series(t, s.reg, "ppsppd_swarms_by_state", "state")
	if len(byState) != 6 || byState["downloading"] != 1 || byState["error"] != 1 || byState["seeding"] != 0 {
		t.Errorf("swarms_by_state %v", byState)
	}
	if n := series(t, s.reg, "ppsppd_swarms"); n[""] != 2 {
		t.Errorf("swarms %v", n)
	}
}

// TestScrapeFailsWhenNodeIsGone: a manager that cannot read its node makes the scrape
// fail rather than export zeros.
func TestScrapeFailsWhenNodeIsGone(t *testing.T) {
	s := New(fakeSource{err: errors.New("stopped")}, Options{Version: "test"})
	if _, err := s.reg.Gather(); err == nil {
		t.Fatal("gather succeeded with the node gone")
	}
}

func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// TestStatusPage: the page names the daemon's version and UDP address, and for each swarm
// its state, file name and path, progress, rate and tswift URL (with this daemon as the
// peer, loopback for an unspecified address, and the chunk size when not 1024).
func TestStatusPage(t *testing.T) {
	s := New(testSource(), Options{Version: "v1.2.3-test"})
	code, body := get(t, s, "/")
	for _, want := range []string{
		"v1.2.3-test", "0.0.0.0:6778", "127.0.0.1:6778",
		"downloading", "movie.mp4", "/srv/content/movie.mp4", "75.0%", "2.0 KiB/s",
		"tswift://127.0.0.1:6778/0102$4096",
		"error", "no space left on device", "big.iso", "size unknown",
		"tswift://127.0.0.1:6778/0304?hf=2",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if code != 200 || strings.Contains(body, "/watch/") {
		t.Fatalf("status %d, or a watch link with no HTTP base:\n%s", code, body)
	}
}

// TestStatusPageWatchLinks: with an HTTP base URL, each swarm links to its /watch/ page.
func TestStatusPageWatchLinks(t *testing.T) {
	src := testSource()
	src.addr = netip.MustParseAddrPort("127.0.0.1:6778")
	s := New(src, Options{Version: "test", HTTPBase: "http://127.0.0.1:8080/"})
	_, body := get(t, s, "/")
	for _, want := range []string{`href="http://127.0.0.1:8080/watch/0102"`, `href="http://127.0.0.1:8080/watch/0304"`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "links name") {
		t.Error("page says links name another address though the daemon is bound to loopback")
	}
}

// TestStatusPageErrors: 503 while the node cannot be read, 404 for unknown paths, and the
// page escapes what it shows (a file name is the operator's, but still not HTML).
func TestStatusPageErrors(t *testing.T) {
	if code, _ := get(t, New(fakeSource{err: errors.New("stopped")}, Options{}), "/"); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d when the node is gone", code)
	}
	src := testSource()
	if code, _ := get(t, New(src, Options{}), "/nope"); code != http.StatusNotFound {
		t.Fatalf("unknown path: %d", code)
	}
	src.list = []swarmapi.Status{{ID: "\x05", Name: "<script>x</script>", Size: -1}}
	if _, body := get(t, New(src, Options{}), "/"); strings.Contains(body, "<script>x") {
		t.Fatal("file name not escaped")
	}
}
