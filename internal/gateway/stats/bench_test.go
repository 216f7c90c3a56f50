package stats

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// thousandSwarms is a source holding 1,000 swarms, the size the status page must stay
// cheap at.
func thousandSwarms() fakeSource {
	src := testSource()
	src.list = make([]swarmapi.Status, 1000)
	for i := range src.list {
		src.list[i] = swarmapi.Status{ID: swarmapi.ID(fmt.Sprintf("%020d", i)), State: swarmapi.StateSeeding,
			Name: fmt.Sprintf("file-%d.mp4", i), Path: fmt.Sprintf("/srv/content/file-%d.mp4", i), ChunkSize: 1024,
			Hash: "sha1", Size: 1 << 30, Have: 1 << 30, HaveChunks: 1 << 20, TotalChunks: 1 << 20, Uploaded: 12345}
	}
	return src
}

func benchGet(b *testing.B, opts Options, path string) {
	s := New(thousandSwarms(), opts)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
		b.SetBytes(int64(rec.Body.Len()))
	}
}

func BenchmarkStatusPage1000Swarms(b *testing.B) {
	benchGet(b, Options{Version: "bench", HTTPBase: "http://127.0.0.1:8080"}, "/")
}

func BenchmarkScrape1000Swarms(b *testing.B) { benchGet(b, Options{Version: "bench"}, "/metrics") }
