package engine

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// FuzzEngine feeds arbitrary datagrams, from two addresses, into a seeding engine and a
// leeching engine that have a channel open with the fuzzer; whatever arrives, the engine must
// not panic, must only send datagrams that decode, and must never store a chunk that does
// not verify.
func FuzzEngine(f *testing.F) {
	data := testContent(77, 5*testCS+10)
	recs, err := capture.ReadFile(filepath.Join("..", "..", "testdata", "interop", "vod-1025B-sha1-1024.hex.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i+1 < len(recs); i += 2 {
		f.Add(recs[i].Payload, recs[i+1].Payload)
	}
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff}, []byte{0x01, 0x02, 0x03, 0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 5})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		seeder, id := seedingEngine(t, Config{}, data)
		leecher := New(Config{})
		store := emptyStore(t, []byte(id), 0, testCS)
		lid, err := leecher.AddSwarm(NewSwarmConfig(store))
		if err != nil {
			t.Fatal(err)
		}
		// Open real channels so fuzz input can reach established-channel code: the fuzzer
		// plays the peer; its datagrams are addressed to the channels the engines chose.
		seeder.HandleDatagram(t0, rawPeer, initiate(t, 0x10, id, true, nil))
		sCh := channelOf(t, seeder.Outgoing())
		_ = leecher.Connect(t0, lid, rawPeer)
		lCh := channelOf(t, leecher.Outgoing())
		now := t0
		for k, in := range [][]byte{a, b, a, b} {
			now = now.Add(time.Duration(k+1) * 300 * time.Millisecond)
			for _, e := range []struct {
				eng *Engine
				ch  wire.ChannelID
			}{{seeder, sCh}, {leecher, lCh}} {
				e.eng.HandleDatagram(now, rawPeer, in)
				if len(in) >= 4 {
					// The same bytes on the channel the engine really uses.
					re := append(wire.AppendHeader(nil, e.ch), in[4:]...)
					e.eng.HandleDatagram(now, rawPeer, re)
				}
				e.eng.HandleDatagram(now, rawPeer2, in)
				e.eng.Tick(now)
				for _, p := range e.eng.Outgoing() {
					c := wire.DefaultContext()
					c.Hash = wire.SHA1
					if _, err := wire.DecodeDatagram(p.Data, &c); err != nil {
						t.Fatalf("engine sent an undecodable datagram %x: %v", p.Data, err)
					}
				}
			}
		}
		for i := range store.has {
			if end := min(int(i+1)*testCS, len(data)); string(store.data[int(i)*testCS:end]) != string(data[int(i)*testCS:end]) {
				t.Fatalf("stored chunk %d differs from the content", i)
			}
		}
	})
}

// channelOf returns the channel ID the engine chose, from the HANDSHAKE it sent.
func channelOf(t *testing.T, pkts []Packet) wire.ChannelID {
	t.Helper()
	for _, dg := range decodeOut(t, pkts) {
		if len(dg.Messages) > 0 {
			if h, ok := dg.Messages[0].(*wire.Handshake); ok {
				return h.Source
			}
		}
	}
	t.Fatal("no HANDSHAKE sent")
	return 0
}
