package testpeer

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

var (
	t0     = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	victim = netip.MustParseAddrPort("192.0.2.1:6778")
)

func content(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// session opens a channel to p as a leecher would and returns a function that requests a
// chunk and checks what came back against the swarm ID with a fresh tree each time.
func session(t *testing.T, p *Peer) func(now time.Time, i uint64) (payload int, err error, answered bool) {
	t.Helper()
	var o wire.Options
	o.SetVersion(1)
	o.SetSwarmID(p.SwarmID())
	o.SetHash(wire.SHA1)
	o.SetChunkSize(1024)
	c := wire.DefaultContext()
	hs, err := wire.AppendDatagram(nil, 0, &c, &wire.Handshake{Source: 7, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Handle(t0, victim, hs)
	if len(out) != 1 {
		t.Fatalf("handshake answered with %d datagrams", len(out))
	}
	ctx := wire.DefaultContext()
	ctx.Hash, ctx.ChunkSize = wire.SHA1, 1024
	dg, err := wire.DecodeDatagram(out[0].Data, &ctx)
	if err != nil || dg.Channel != 7 {
		t.Fatalf("reply %+v: %v", dg, err)
	}
	ours := dg.Messages[0].(*wire.Handshake).Source
	return func(now time.Time, i uint64) (int, error, bool) {
		req, err := wire.AppendDatagram(nil, ours, &ctx, &wire.Request{Spec: wire.RangeSpec(i, i)})
		if err != nil {
			t.Fatal(err)
		}
		out := p.Handle(now, victim, req)
		if len(out) == 0 {
			return 0, nil, false
		}
		c := ctx
		c.ChunkSize = 0 // let the payload run to the end, to see all of it
		dg, err := wire.DecodeDatagram(out[len(out)-1].Data, &c)
		if err != nil {
			t.Fatal(err)
		}
		tree, err := hashtree.NewFromRoot(p.SwarmID(), hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 1024, Size: -1})
		if err != nil {
			t.Fatal(err)
		}
		var cands []hashtree.NodeHash
		var data []byte
		for _, m := range dg.Messages {
			switch m := m.(type) {
			case *wire.Integrity:
				b, ok := bins.ChunkRange{Start: m.Spec.Start, End: m.Spec.End}.Bin()
				if !ok {
					t.Fatalf("INTEGRITY for %+v, not a tree node", m.Spec)
				}
				cands = append(cands, hashtree.NodeHash{Bin: b, Hash: m.Hash})
			case *wire.Data:
				data = m.Payload
			}
		}
		if _, err := tree.AddPeaksPrefix(cands); err != nil {
			return len(data), err, true
		}
		return len(data), tree.VerifyChunk(i, data, cands), true
	}
}

func TestModes(t *testing.T) {
	data := content(16 * 1024)
	for _, c := range []struct {
		mode Mode
		// first and second send of chunk 0
		firstErr, secondErr error
		firstAnswered       bool
		firstLen            int
	}{
		{Honest, nil, nil, true, 1024},
		{CorruptChunk, hashtree.ErrHashMismatch, nil, true, 1024},
		{WrongUncles, hashtree.ErrHashMismatch, nil, true, 1024},
		{WrongPeaks, hashtree.ErrHashMismatch, nil, true, 1024},
		{FalseHave, nil, nil, false, 0},
		{OversizeData, nil, nil, true, 1224},
		{TruncatedData, hashtree.ErrBadLength, nil, true, 512},
	} {
		p, err := New(Config{Mode: c.mode, Content: data})
		if err != nil {
			t.Fatal(err)
		}
		req := session(t, p)
		n, err, answered := req(t0, 0)
		if answered != c.firstAnswered || n != c.firstLen {
			t.Fatalf("%v: answered %v with %d bytes", c.mode, answered, n)
		}
		if c.mode == OversizeData {
			err = nil // the tree refuses the long payload; the engine cuts it first
		}
		if answered && !errors.Is(err, c.firstErr) && (c.firstErr != nil || err != nil) {
			t.Fatalf("%v: first send verified with %v, want %v", c.mode, err, c.firstErr)
		}
		n, err, answered = req(t0, 0)
		if !answered || err != nil || n != 1024 {
			t.Fatalf("%v: second send: answered %v, %d bytes, %v", c.mode, answered, n, err)
		}
	}
}

func TestSilentThenServes(t *testing.T) {
	p, err := New(Config{Mode: Silent, Silence: 20 * time.Second, Content: content(4096)})
	if err != nil {
		t.Fatal(err)
	}
	req := session(t, p)
	if _, _, answered := req(t0.Add(19*time.Second), 1); answered {
		t.Fatal("answered during the silence")
	}
	if _, err, answered := req(t0.Add(20*time.Second), 1); !answered || err != nil {
		t.Fatalf("after the silence: answered %v, %v", answered, err)
	}
	if c := p.Counts(); c.Requests != 2 || c.Misbehaved != 1 || c.DataSent != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestPersistentAndEvery(t *testing.T) {
	p, err := New(Config{Mode: CorruptChunk, Persistent: true, Every: 2, Content: content(4096)})
	if err != nil {
		t.Fatal(err)
	}
	req := session(t, p)
	for range 3 {
		if _, err, _ := req(t0, 2); !errors.Is(err, hashtree.ErrHashMismatch) {
			t.Fatalf("chunk 2: %v", err)
		}
		if _, err, _ := req(t0, 1); err != nil {
			t.Fatalf("chunk 1 (unaffected): %v", err)
		}
	}
}

func TestFloods(t *testing.T) {
	target := netip.MustParseAddrPort("192.0.2.2:6778")
	self := netip.MustParseAddrPort("192.0.2.3:6778")
	p, err := New(Config{Mode: HandshakeFlood, Persistent: true, Burst: 4, Target: target, Self: self, Content: content(4096)})
	if err != nil {
		t.Fatal(err)
	}
	out := p.Start(t0)
	out = append(out, p.Tick(p.NextDeadline())...)
	ports := map[netip.AddrPort]bool{}
	for _, pk := range out {
		ports[pk.From] = true
		if pk.To != target {
			t.Fatalf("sent to %v", pk.To)
		}
	}
	if len(out) != 8 || len(ports) != 8 {
		t.Fatalf("%d handshakes from %d ports", len(out), len(ports))
	}

	p, err = New(Config{Mode: RequestFlood, Burst: 3, Target: target, Self: self, Content: content(4096)})
	if err != nil {
		t.Fatal(err)
	}
	hs := p.Start(t0)
	if len(hs) != 1 || len(p.Tick(t0)) != 0 {
		t.Fatal("flood before the seeder answered")
	}
	c := wire.DefaultContext()
	dg, _ := wire.DecodeDatagram(hs[0].Data, &c)
	ours := dg.Messages[0].(*wire.Handshake).Source
	var o wire.Options
	o.SetVersion(1)
	reply, _ := wire.AppendDatagram(nil, ours, &c, &wire.Handshake{Source: 99, Options: o})
	p.Handle(t0, target, reply)
	if out := p.Tick(t0.Add(time.Second)); len(out) != 3 {
		t.Fatalf("burst of %d", len(out))
	}
	if !p.NextDeadline().IsZero() {
		t.Fatal("a first-send-only flood goes on")
	}
}
