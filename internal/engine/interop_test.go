package engine

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Replays of a real libswift session (testdata/interop/vod-1025B-sha1-1024.hex.txt, a copy of
// ../shared/interop/): libswift's datagrams go into the engine, with channel IDs rewritten to
// the ones the engine chose, and the engine's answers are checked against the RFC and against
// what libswift itself answered.

func interopFile(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "interop", name)
}

func libswiftSession(t *testing.T) (recs []capture.Record, content []byte, root []byte) {
	t.Helper()
	recs, err := capture.ReadFile(interopFile(t, "vod-1025B-sha1-1024.hex.txt"))
	if err != nil {
		t.Fatal(err)
	}
	content, err = os.ReadFile(interopFile(t, "c1025.bin"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := hashtree.Build(content, testCS, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	if tree.Root()[0] != 0x70 || tree.Root()[1] != 0x6d {
		t.Fatalf("c1025.bin root %x, want 706da5ef…", tree.Root())
	}
	return recs, content, tree.Root()
}

func withChannel(b []byte, ch wire.ChannelID) []byte {
	c := bytes.Clone(b)
	binary.BigEndian.PutUint32(c, uint32(ch))
	return c
}

// zeroTimestamps clears DATA timestamps so datagrams from two runs can be compared.
func zeroTimestamps(t *testing.T, b []byte) []byte {
	t.Helper()
	c := wire.DefaultContext()
	c.Hash = wire.SHA1
	dg, err := wire.DecodeDatagram(b, &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dg.Messages {
		if d, ok := m.(*wire.Data); ok {
			d.Timestamp = 0
		}
	}
	c = wire.DefaultContext()
	c.Hash = wire.SHA1
	out, err := wire.AppendDatagram(nil, dg.Channel, &c, dg.Messages...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReplayLibswiftLeecher: the engine seeds c1025.bin to libswift's recorded leecher and
// must send what libswift's seeder sent, byte for byte apart from timestamps: the reply
// HANDSHAKE in libswift's form (it sent no chunk-size option) with HAVE (0,1), then
// INTEGRITY (0,1) and (1,1) before DATA (0,0), then DATA (1,1) alone.
func TestReplayLibswiftLeecher(t *testing.T) {
	recs, content, _ := libswiftSession(t)
	e := New(Config{})
	id, err := e.AddSwarm(NewSwarmConfig(seededStore(t, content, testCS)))
	if err != nil {
		t.Fatal(err)
	}
	leecher := netipAddr("127.0.0.1:20002")
	var ours wire.ChannelID
	var libswiftSeeder, engine [][]byte
	for _, r := range recs {
		if r.Src == "seeder" {
			if len(r.Payload) > wire.HeaderLen {
				libswiftSeeder = append(libswiftSeeder, zeroTimestamps(t, r.Payload))
			}
			continue
		}
		in := r.Payload
		if ours != 0 {
			in = withChannel(in, ours)
		}
		e.HandleDatagram(t0.Add(r.Time), leecher, in)
		for _, p := range e.Outgoing() {
			if ours == 0 {
				dg := decodeOut(t, []Packet{p})[0]
				ours = dg.Messages[0].(*wire.Handshake).Source
				// libswift's seeder picked another channel ID; compare with it in place.
				p.Data = withChannel(p.Data, 0x8d86f21a)
				binary.BigEndian.PutUint32(p.Data[5:], 0x8d686bee)
			}
			engine = append(engine, zeroTimestamps(t, p.Data))
		}
	}
	if len(engine) != len(libswiftSeeder) {
		t.Fatalf("engine sent %d datagrams with messages, libswift %d", len(engine), len(libswiftSeeder))
	}
	for i := range engine {
		if !bytes.Equal(engine[i], libswiftSeeder[i]) {
			t.Errorf("datagram %d differs:\nengine   %x\nlibswift %x", i, engine[i], libswiftSeeder[i])
		}
	}
	if len(e.Peers(id)) != 0 || e.Stats().ClosedByPeer != 1 {
		t.Fatal("libswift's close HANDSHAKE did not close the channel")
	}
}

// TestReplayLibswiftSeeder: the engine downloads c1025.bin from libswift's recorded seeder,
// knowing only the swarm ID, and ends with the exact content.
func TestReplayLibswiftSeeder(t *testing.T) {
	recs, content, root := libswiftSession(t)
	store := emptyStore(t, root, 0, testCS)
	e := New(Config{})
	id, _ := e.AddSwarm(NewSwarmConfig(store))
	seeder := netipAddr("127.0.0.1:20001")
	if err := e.Connect(t0, id, seeder); err != nil {
		t.Fatal(err)
	}
	hs := decodeOut(t, e.Outgoing())[0]
	ours := hs.Messages[0].(*wire.Handshake).Source
	var requests []string
	for _, r := range recs {
		if r.Src != "seeder" || len(r.Payload) == wire.HeaderLen {
			continue
		}
		e.HandleDatagram(t0.Add(r.Time), seeder, withChannel(r.Payload, ours))
		for _, dg := range decodeOut(t, e.Outgoing()) {
			for _, m := range dg.Messages {
				if q, ok := m.(*wire.Request); ok {
					requests = append(requests, wire.FormatSpec(wire.ChunkRange32, q.Spec))
				}
			}
		}
	}
	have, total, err := e.Progress(id)
	if err != nil || have != 2 || total != 2 || !bytes.Equal(store.data, content) {
		t.Fatalf("have %d/%d err %v", have, total, err)
	}
	// The engine asked for what libswift's leecher asked for, in the same order.
	if len(requests) != 2 || requests[0] != "chunks 0-0" || requests[1] != "chunks 1-1" {
		t.Fatalf("requests %v", requests)
	}
	if st := e.Stats(); st.BadChunks != 0 || st.ChunksVerified != 2 {
		t.Fatalf("%+v", st)
	}
}

// TestReplayLibswiftSeeder1MiB: every datagram libswift's seeder sent in the 1 MiB session
// (testdata/interop/vod-1MiB123-sha1-1024.pcap) goes into an engine that knows only the swarm
// ID: its peaks, uncles and DATA must verify chunk by chunk against the root, and the engine
// ends with all 1025 chunks (the last one 123 bytes).
func TestReplayLibswiftSeeder1MiB(t *testing.T) {
	recs, err := capture.ReadFile(interopFile(t, "vod-1MiB123-sha1-1024.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := hex.DecodeString("f86b2d68d56e7457f1be8d35c7f492a228c3aa45")
	store := emptyStore(t, root, 0, testCS)
	e := New(Config{})
	id, _ := e.AddSwarm(NewSwarmConfig(store))
	seederAddr := recs[1].Src // the first reply comes from the seeder
	seeder := netip.MustParseAddrPort(seederAddr)
	if err := e.Connect(t0, id, seeder); err != nil {
		t.Fatal(err)
	}
	ours := decodeOut(t, e.Outgoing())[0].Messages[0].(*wire.Handshake).Source
	for _, r := range recs {
		if r.Src != seederAddr || len(r.Payload) == wire.HeaderLen {
			continue
		}
		e.HandleDatagram(t0.Add(r.Time), seeder, withChannel(r.Payload, ours))
		_ = e.Outgoing()
	}
	have, total, err := e.Progress(id)
	if err != nil || total != 1025 || have != 1025 {
		t.Fatalf("have %d/%d (%v), stats %+v", have, total, err, e.Stats())
	}
	if st := e.Stats(); st.BadChunks != 0 || st.UnverifiableChunks != 0 || len(store.data) != 1048699 {
		t.Fatalf("bad %d unverifiable %d size %d", st.BadChunks, st.UnverifiableChunks, len(store.data))
	}
}
