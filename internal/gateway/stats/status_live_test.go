package stats

import (
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// TestStatusPageLive: a live stream's row says live (source or not) and where its edge is,
// never a percentage of a size it does not have.
func TestStatusPageLive(t *testing.T) {
	src := testSource()
	src.list = []swarmapi.Status{
		{ID: "\x0d\x01", State: swarmapi.StateSeeding, Name: "cam.ts", ChunkSize: 1024, Size: -1, Live: true, LiveSource: true,
			LiveEdge: 99, HaveChunks: 100, Have: 102400},
		{ID: "\x0d\x02", State: swarmapi.StateDownloading, Name: "joined", ChunkSize: 1024, Size: -1, Live: true},
	}
	_, body := get(t, New(src, Options{}), "/")
	for _, want := range []string{"live source<br>edge at chunk 99, 100.0 KiB so far", "live<br>no chunk yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(body, "size unknown") || strings.Contains(body, "%") {
		t.Errorf("a live row shows a percentage or an unknown size:\n%s", body)
	}
}
