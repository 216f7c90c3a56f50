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
	// One dropped series per drop reason the engine names, two chunk series (verified,
	// total) and one error series per swarm.
	swarms := len(testSnapshot().Swarms)
	want := len(namedDropReasons(t)) + 2*swarms + swarms
	n, err := testutil.GatherAndCount(s.reg, "ppsppd_datagrams_dropped_total", "ppsppd_swarm_chunks", "ppsppd_swarm_error")
	if err != nil || n != want {
		t.Fatalf("%d series, want %d; %v", n, want, err)
	}
}

// namedDropReasons lists the engine's drop reasons: DropReason values from 0 up to the
// first whose name is "unknown". Every slot of Stats.Drops must be one of them, or the
// gateway would export a count under the label "unknown".
func namedDropReasons(t *testing.T) []engine.DropReason {
	t.Helper()
	var named []engine.DropReason
	for r := engine.DropReason(0); r.String() != "unknown"; r++ {
		named = append(named, r)
		if r == ^engine.DropReason(0) {
			t.Fatal("every DropReason value has a name")
		}
	}
	if slots := len(engine.Stats{}.Drops); slots != len(named) {
		t.Fatalf("Stats.Drops has %d slots, but %d drop reasons have names", slots, len(named))
	}
	return named
}

// TestDropReasonSeries: the dropped-datagram counter has one series per drop reason,
// labelled with the reason's name and carrying its count.
func TestDropReasonSeries(t *testing.T) {
	snap := testSnapshot()
	s := New(fakeSource{snap: snap}, "test", zap.NewNop())
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "ppsppd_datagrams_dropped_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	named := namedDropReasons(t)
	if len(got) != len(named) {
		t.Fatalf("%d dropped series %v, want one per drop reason (%d)", len(got), got, len(named))
	}
	for _, r := range named {
		v, ok := got[r.String()]
		if !ok || v != float64(snap.Stats.Drops[r]) {
			t.Errorf("reason %q: series present %v, value %v, want %d", r, ok, v, snap.Stats.Drops[r])
		}
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
