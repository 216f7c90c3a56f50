package stats

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/node"
)

type fakeSource struct {
	snap node.Snapshot
	err  error
}

func (f fakeSource) Snapshot(context.Context) (node.Snapshot, error) { return f.snap, f.err }

func testSnapshot() node.Snapshot {
	var st engine.Stats
	st.DatagramsIn, st.DatagramsOut, st.ChunksVerified, st.BadChunks = 10, 20, 5, 1
	st.Drops[engine.DropMalformed] = 3
	return node.Snapshot{Stats: st, Channels: 2, Swarms: []engine.SwarmInfo{
		{ID: "\x01\x02", Have: 3, Total: 4, Peers: 1},
		{ID: "\x03\x04", Err: errors.New("no space left on device")},
	}}
}

// TestMetricsLint runs client_golang's linter over everything the gateway exports.
func TestMetricsLint(t *testing.T) {
	s := New(fakeSource{snap: testSnapshot()}, "test", zap.NewNop())
	problems, err := testutil.GatherAndLint(s.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	n, err := testutil.GatherAndCount(s.reg, "ppsppd_datagrams_dropped_total", "ppsppd_swarm_chunks", "ppsppd_swarm_error")
	if err != nil || n != int(engine.DropReason(6))+4+2 {
		t.Fatalf("%d series, %v", n, err)
	}
}

func TestStatusPage(t *testing.T) {
	s := New(fakeSource{snap: testSnapshot()}, "test", zap.NewNop())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	body := rec.Body.String()
	if rec.Code != 200 || !strings.Contains(body, "0102") || !strings.Contains(body, "75.0%") || !strings.Contains(body, "no space left") {
		t.Fatalf("%d\n%s", rec.Code, body)
	}
	down := New(fakeSource{err: errors.New("stopped")}, "test", zap.NewNop())
	rec = httptest.NewRecorder()
	down.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d when the node is gone", rec.Code)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown path: %d", rec.Code)
	}
}
