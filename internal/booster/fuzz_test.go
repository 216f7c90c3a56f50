package booster

import (
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// FuzzExtract feeds arbitrary bytes to the feed parser and the text extractor: neither may
// panic, and every link either gives is one the manager could add (a non-empty ID whose
// size fits its hash function) and reparses to the same swarm.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{rssFeed, atomFeed, jsonFeed, "tswift://127.0.0.1:6778/" + sha1Hex, sha256Hex,
		"ppsp://[::1]:1/" + sha1Hex + "$2048?cl=5", "<rss><channel><item><title>unclosed"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		links := Extract(string(data))
		if fl, err := FeedLinks(data); err == nil {
			links = append(links, fl...)
		}
		for _, l := range links {
			if len(l.SwarmID) != 20 && len(l.SwarmID) != 32 && l.Hash < 0 {
				t.Fatalf("link %v: ID of %d bytes without a hash function", l, len(l.SwarmID))
			}
			back, err := swarmurl.Parse(l.String())
			if err != nil || string(back.SwarmID) != string(l.SwarmID) {
				t.Fatalf("link %v does not reparse: %v", l, err)
			}
		}
	})
}
