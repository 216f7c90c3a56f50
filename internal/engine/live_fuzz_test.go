package engine

import (
	"testing"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// FuzzLiveEngine: the fuzzer plays a live source to a peer that joined libswift's recorded
// stream. Its datagrams go to the channel the peer opened, with the capture's own datagrams
// as seeds; whatever arrives, the engine must not panic, must send only datagrams that
// decode, and must store no chunk the source did not sign: every chunk stored is the one
// the recorded source sent.
func FuzzLiveEngine(f *testing.F) {
	recs, swarmID, start, sent := libswiftLiveSession(f)
	for i := 0; i+1 < len(recs); i++ {
		if recs[i].Src == "source" {
			f.Add(recs[i].Payload, recs[i+1].Payload)
		}
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		e := New(Config{})
		store := newMemLive(4096)
		id, err := e.AddLiveSwarm(NewLiveSwarmConfig(swarmID, store))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Connect(start, id, rawPeer); err != nil {
			t.Fatal(err)
		}
		ch := channelOf(t, e.Outgoing())
		// The capture's first answer opens the channel; then the fuzzer's datagrams.
		e.HandleDatagram(start, rawPeer, withChannel(recs[1].Payload, ch))
		now := start
		for _, in := range [][]byte{a, b, a} {
			now = now.Add(100 * 1000 * 1000)
			if len(in) >= 4 {
				e.HandleDatagram(now, rawPeer, append(wire.AppendHeader(nil, ch), in[4:]...))
			}
			e.HandleDatagram(now, rawPeer2, in)
			e.Tick(now)
			for _, p := range e.Outgoing() {
				c := wire.DefaultContext()
				c.Integrity, c.Hash, c.SigAlg, c.SwarmID = wire.IntegrityUnifiedMHT, wire.SHA1, wire.SigAlg(swarmID[0]), swarmID
				if _, err := wire.DecodeDatagram(p.Data, &c); err != nil {
					t.Fatalf("engine sent an undecodable datagram %x: %v", p.Data, err)
				}
			}
		}
		for i, got := range store.chunks {
			if want, ok := sent[i]; !ok || string(got) != string(want) {
				t.Fatalf("stored chunk %d that the source did not send", i)
			}
		}
	})
}
