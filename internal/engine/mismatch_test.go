package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Metadata mismatch (issue 16): a leecher whose chunk size or content size is not the
// swarm's gets no chunk through verification. Every DATA from the seeder is then a provable
// fault, and the seeder is dropped with a reason that says the chunks failed verification,
// soon, so that a client can fail at once with the real cause.

type mismatchCase struct {
	name      string
	seederCS  int
	leechCS   int
	size      int   // the content's real size
	leechSize int64 // the size the leecher believes (0: unknown)
	// sameShape: the wrong size gives the same chunk count, so every chunk but the last
	// verifies (and is stored); only the last cannot be had.
	sameShape bool
}

func mismatchCases() []mismatchCase {
	return []mismatchCase{
		{name: "leecher chunk size larger", seederCS: 1024, leechCS: 2048, size: 100_000},
		{name: "leecher chunk size smaller", seederCS: 2048, leechCS: 1024, size: 100_000},
		{name: "larger with size", seederCS: 1024, leechCS: 2048, size: 100_000, leechSize: 100_000},
		{name: "smaller with size", seederCS: 2048, leechCS: 1024, size: 100_000, leechSize: 100_000},
		{name: "wrong size, more chunks", seederCS: 1024, leechCS: 1024, size: 100_000, leechSize: 200_000},
		{name: "wrong size, fewer chunks", seederCS: 1024, leechCS: 1024, size: 100_000, leechSize: 50_000},
		{name: "wrong size, same chunks", seederCS: 1024, leechCS: 1024, size: 100_000, leechSize: 99_500, sameShape: true},
	}
}

// misfitDropWithin bounds the virtual time from connecting to dropping the seeder.
const misfitDropWithin = 10 * time.Second

func TestMismatchedMetadataDropsSeeder(t *testing.T) {
	for _, c := range mismatchCases() {
		t.Run(c.name, func(t *testing.T) {
			net := newSimNet(t, 31)
			data := testContent(8, c.size)
			seeder := net.seedNode("seeder", data, c.seederCS, Config{}, link{delay: 5 * time.Millisecond})
			lc := net.leechNode("leech", []byte(seeder.id), c.leechSize, c.leechCS, Config{}, link{delay: 5 * time.Millisecond})
			net.connect(lc, seeder)
			start := net.now
			closed := func() bool {
				for _, ev := range lc.events {
					if ev.Kind == EventPeerClosed {
						return true
					}
				}
				return false
			}
			// Virtual time: a few seconds, where the score alone took 42 s (the seeder's
			// congestion timeout doubles while we acknowledge nothing).
			if !net.run(misfitDropWithin, closed) {
				t.Fatalf("seeder not dropped within %v: %+v", misfitDropWithin, lc.eng.Stats())
			}
			t.Logf("dropped after %v: %+v", net.now.Sub(start), lc.eng.Stats())
			for _, ev := range lc.events {
				if ev.Kind == EventPeerClosed && (ev.Err == nil || !strings.Contains(ev.Err.Error(), "failed verification")) {
					t.Fatalf("closed for %v, want failed verification", ev.Err)
				}
			}
			if st := lc.eng.Stats(); st.MisfitChunks < misfitLimit || st.ClosedBadData != 1 || st.PeersBanned != 1 {
				t.Fatalf("misfits %d, closed for bad data %d, bans %d", st.MisfitChunks, st.ClosedBadData, st.PeersBanned)
			}
			if !c.sameShape && len(lc.content.has) != 0 {
				t.Fatalf("%d chunks stored from a mismatched swarm", len(lc.content.has))
			}
			for i := range lc.content.has {
				if i+1 >= lc.content.NumChunks() {
					t.Fatalf("last chunk %d stored with the wrong length", i)
				}
				if !bytes.Equal(lc.content.data[int(i)*c.leechCS:int(i+1)*c.leechCS], data[int(i)*c.leechCS:int(i+1)*c.leechCS]) {
					t.Fatalf("chunk %d stored with wrong bytes", i)
				}
			}
		})
	}
}
