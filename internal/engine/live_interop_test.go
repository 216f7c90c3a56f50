package engine

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestReplayLibswiftLiveSource: the engine joins libswift's recorded live source
// (testdata/interop/live-umt-ecdsap256-1024.hex.txt: UMT, ECDSA P-256, 32 chunks per
// munro, libswift's signature form) knowing only the swarm ID. Every DATA the source sent
// must verify through the munros it signed, and be stored.
func TestReplayLibswiftLiveSource(t *testing.T) {
	recs, swarmID, start, sent := libswiftLiveSession(t)
	e := New(Config{})
	store := newMemLive(4096)
	cfg := NewLiveSwarmConfig(swarmID, store)
	id, err := e.AddLiveSwarm(cfg)
	if err != nil {
		t.Fatal(err)
	}
	source := netipAddr("127.0.0.1:20001")
	if err := e.Connect(start, id, source); err != nil {
		t.Fatal(err)
	}
	hs := decodeOut(t, e.Outgoing())[0]
	ours := hs.Messages[0].(*wire.Handshake).Source
	for _, r := range recs {
		if r.Src != "source" {
			continue
		}
		e.HandleDatagram(start.Add(r.Time), source, withChannel(r.Payload, ours))
		e.Outgoing()
	}
	st := e.Stats()
	t.Logf("capture: %d chunks sent by the source; engine: verified %d, bad signatures %d, bad chunks %d, unverifiable %d",
		len(sent), st.ChunksVerified, st.LiveBadSignatures, st.BadChunks, st.UnverifiableChunks)
	if st.LiveBadSignatures != 0 || st.BadChunks != 0 {
		t.Fatalf("libswift's signatures or chunks failed: %+v", st)
	}
	for i, want := range sent {
		if got, ok := store.chunks[i]; !ok || string(got) != string(want) {
			t.Errorf("chunk %d, sent by libswift, was not verified and stored as sent", i)
		}
	}
}

// libswiftLiveSession reads the recorded libswift live session: its records, the swarm ID
// (from the leecher's HANDSHAKE), the time the session started by the source's clock (from
// its first signature, libswift's form: microseconds since 1970, so that the signatures
// are fresh, live.DefaultMaxAge), and the chunks the source sent.
func libswiftLiveSession(t testing.TB) (recs []capture.Record, swarmID []byte, start time.Time, sent map[uint64][]byte) {
	t.Helper()
	recs, err := capture.ReadFile(interopFile(t, "live-umt-ecdsap256-1024.hex.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sent = map[uint64][]byte{}
	for _, r := range recs {
		ctx := wire.DefaultContext()
		ctx.Integrity, ctx.Hash, ctx.SigAlg, ctx.ChunkSize = wire.IntegrityUnifiedMHT, wire.SHA1, 13, testCS
		if swarmID != nil {
			ctx.SwarmID = swarmID
		}
		dg, _ := wire.DecodeDatagram(r.Payload, &ctx)
		for _, m := range dg.Messages {
			switch m := m.(type) {
			case *wire.Handshake:
				if m.Options.Has(wire.OptSwarmID) && swarmID == nil {
					swarmID = append([]byte(nil), m.Options.SwarmID...)
				}
			case *wire.SignedIntegrity:
				if start.IsZero() {
					start = live.FormLibswift.Time(m.Timestamp).Add(-r.Time)
				}
			case *wire.Data:
				if r.Src == "source" {
					sent[m.Spec.Start] = append([]byte(nil), m.Payload...)
				}
			}
		}
	}
	if swarmID == nil || start.IsZero() || len(sent) == 0 {
		t.Fatalf("capture: swarm ID %x, start %v, %d chunks", swarmID, start, len(sent))
	}
	return recs, swarmID, start, sent
}
