package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Protocol tests against one engine, with a hand-driven peer that writes datagrams itself.

var (
	t0       = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	rawPeer  = netip.MustParseAddrPort("192.0.2.9:7000")
	rawPeer2 = netip.MustParseAddrPort("192.0.2.10:7000")
)

func seedingEngine(t testing.TB, cfg Config, data []byte) (*Engine, SwarmID) {
	t.Helper()
	e := New(cfg)
	id, err := e.AddSwarm(NewSwarmConfig(seededStore(t, data, testCS)))
	if err != nil {
		t.Fatal(err)
	}
	return e, id
}

// initiate builds a first HANDSHAKE from a peer with channel src, in RFC or libswift form.
func initiate(t *testing.T, src wire.ChannelID, id SwarmID, compat bool, edit func(*wire.Options)) []byte {
	t.Helper()
	var o wire.Options
	o.SetVersion(1)
	o.SetMinVersion(1)
	o.SetSwarmID([]byte(id))
	o.SetIntegrity(wire.IntegrityMerkle)
	o.SetHash(wire.SHA1)
	o.SetAddressing(wire.ChunkRange32)
	if !compat {
		o.SetChunkSize(testCS)
	}
	if edit != nil {
		edit(&o)
	}
	c := wire.DefaultContext()
	b, err := wire.AppendDatagram(nil, 0, &c, &wire.Handshake{Source: src, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeOut decodes every datagram the engine sent, in the context of a SHA-1 chunk32 swarm.
func decodeOut(t *testing.T, pkts []Packet) []wire.Datagram {
	t.Helper()
	var out []wire.Datagram
	for _, p := range pkts {
		c := wire.DefaultContext()
		c.Hash = wire.SHA1
		dg, err := wire.DecodeDatagram(p.Data, &c)
		if err != nil {
			t.Fatalf("engine sent an undecodable datagram %x: %v", p.Data, err)
		}
		out = append(out, dg)
	}
	return out
}

func TestHandshakeReplyForms(t *testing.T) {
	data := testContent(6, 3*testCS)
	for _, compat := range []bool{false, true} {
		e, id := seedingEngine(t, Config{}, data)
		e.HandleDatagram(t0, rawPeer, initiate(t, 0x11223344, id, compat, nil))
		dgs := decodeOut(t, e.Outgoing())
		if len(dgs) != 1 || dgs[0].Channel != 0x11223344 {
			t.Fatalf("compat %v: replies %+v", compat, dgs)
		}
		h, ok := dgs[0].Messages[0].(*wire.Handshake)
		if !ok || h.Source == 0 {
			t.Fatalf("first message %T", dgs[0].Messages[0])
		}
		o := &h.Options
		if o.Has(wire.OptChunkSize) == compat || o.Has(wire.OptSwarmID) == compat {
			t.Fatalf("compat %v: chunk size option %v, swarm ID %v", compat, o.Has(wire.OptChunkSize), o.Has(wire.OptSwarmID))
		}
		if o.Version != 1 || o.Hash != wire.SHA1 || o.Addressing != wire.ChunkRange32 || o.Integrity != wire.IntegrityMerkle {
			t.Fatalf("reply options %+v", o)
		}
		// The reply announces the content: three chunks are bins (0,1) and (2,2).
		var haves []string
		for _, m := range dgs[0].Messages[1:] {
			haves = append(haves, wire.FormatSpec(wire.ChunkRange32, m.(*wire.Have).Spec))
		}
		if len(haves) != 2 || haves[0] != "chunks 0-1" || haves[1] != "chunks 2-2" {
			t.Fatalf("haves %v", haves)
		}
	}
}

func TestHandshakeSilence(t *testing.T) {
	data := testContent(6, 3*testCS)
	e, id := seedingEngine(t, Config{}, data)
	other := SwarmID(bytes.Repeat([]byte{1}, 20))
	cases := map[string][]byte{
		"unknown swarm":     initiate(t, 1, other, false, nil),
		"wrong hash":        initiate(t, 2, id, false, func(o *wire.Options) { o.SetHash(wire.SHA256) }),
		"wrong chunk size":  initiate(t, 3, id, false, func(o *wire.Options) { o.SetChunkSize(4096) }),
		"newer min version": initiate(t, 4, id, false, func(o *wire.Options) { o.SetVersion(3); o.SetMinVersion(2) }),
		"byte ranges":       initiate(t, 5, id, false, func(o *wire.Options) { o.SetAddressing(wire.ByteRange64) }),
		"live option":       initiate(t, 6, id, false, func(o *wire.Options) { o.SetSigAlg(13) }),
		"no swarm id":       initiate(t, 7, id, false, func(o *wire.Options) { o.Remove(wire.OptSwarmID) }),
		"unknown option":    append(bytes.Clone(initiate(t, 8, id, false, nil)[:9]), 0x0a, 0x00, 0xff),
		"not a handshake":   {0, 0, 0, 0, byte(wire.TypeHave), 0, 0, 0, 0, 0, 0, 0, 0},
		"truncated":         {0, 0, 0},
		"unknown channel":   {0xde, 0xad, 0xbe, 0xef, byte(wire.TypePexReq)},
		"handshake garbage": {0, 0, 0, 0, 0, 1, 2, 3},
	}
	for name, b := range cases {
		e.HandleDatagram(t0, rawPeer, b)
		if out := e.Outgoing(); len(out) != 0 {
			t.Errorf("%s: engine answered %x", name, out[0].Data)
		}
	}
	st := e.Stats()
	if st.Drops[DropHandshake] != 7 || st.Drops[DropUnknownChannel] != 1 || st.Drops[DropNotHandshake] != 1 || st.Drops[DropMalformed] != 3 {
		t.Fatalf("drops %v", st.Drops)
	}
}

// TestDuplicateHandshake: a resent HANDSHAKE is answered again on the same channel, and the
// answer carries our HAVEs again, since they rode in the reply that was lost.
func TestDuplicateHandshake(t *testing.T) {
	e, id := seedingEngine(t, Config{}, testContent(6, 3*testCS))
	hs := initiate(t, 0x1234, id, false, nil)
	e.HandleDatagram(t0, rawPeer, hs)
	first := decodeOut(t, e.Outgoing())
	e.HandleDatagram(t0.Add(time.Second), rawPeer, hs)
	second := decodeOut(t, e.Outgoing())
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("%d, %d replies", len(first), len(second))
	}
	s1 := first[0].Messages[0].(*wire.Handshake).Source
	s2 := second[0].Messages[0].(*wire.Handshake).Source
	if s1 != s2 || len(e.channels) != 1 {
		t.Fatalf("second channel opened: %x %x, %d channels", s1, s2, len(e.channels))
	}
	haves := func(dg wire.Datagram) []string {
		var out []string
		for _, m := range dg.Messages[1:] {
			if h, ok := m.(*wire.Have); ok {
				out = append(out, fmt.Sprint(h.Spec))
			}
		}
		return out
	}
	h1, h2 := haves(first[0]), haves(second[0])
	if len(h1) == 0 || !slices.Equal(h1, h2) {
		t.Fatalf("HAVEs with the first reply %v, with the second %v; want the same, not none", h1, h2)
	}
}

// TestServeAfterHandshake drives a whole transfer of a 3-chunk file by hand and checks each
// DATA is preceded by the hashes needed to verify it (peaks first, then uncles).
func TestServeAfterHandshake(t *testing.T) {
	data := testContent(8, 3*testCS-100)
	e, id := seedingEngine(t, Config{}, data)
	e.HandleDatagram(t0, rawPeer, initiate(t, 0xabc, id, true, nil))
	reply := decodeOut(t, e.Outgoing())[0]
	ours := reply.Messages[0].(*wire.Handshake).Source

	leech, err := hashtree.NewFromRoot([]byte(id), hashtree.Params{Hash: hashtree.SHA1, ChunkSize: testCS, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := wire.DefaultContext()
	c.Hash = wire.SHA1
	req, _ := wire.AppendDatagram(nil, ours, &c, &wire.Request{Spec: wire.RangeSpec(0, 2)}, &wire.PexReq{})
	now := t0.Add(time.Millisecond)
	e.HandleDatagram(now, rawPeer, req)
	got := 0
	for round := 0; round < 3 && got < 3; round++ {
		var acks []wire.Message
		served := 0
		for _, dg := range decodeOut(t, e.Outgoing()) {
			var cands []hashtree.NodeHash
			for _, m := range dg.Messages {
				switch m := m.(type) {
				case *wire.Integrity:
					r, _ := specToChunks(wire.ChunkRange32, m.Spec)
					b, ok := r.Bin()
					if !ok {
						t.Fatalf("INTEGRITY for unaligned range %v", r)
					}
					cands = append(cands, hashtree.NodeHash{Bin: b, Hash: bytes.Clone(m.Hash)})
				case *wire.Data:
					if leech.NumChunks() == 0 {
						if _, err := leech.AddPeaksPrefix(cands); err != nil {
							t.Fatalf("no valid peaks before the first DATA: %v", err)
						}
					}
					if err := leech.VerifyChunk(m.Spec.Start, m.Payload, cands); err != nil {
						t.Fatalf("chunk %d: %v", m.Spec.Start, err)
					}
					acks = append(acks, &wire.Ack{Spec: m.Spec, Delay: 1000})
					served++
				}
			}
		}
		// LEDBAT starts with a window of two datagrams (RFC 6817 §2.5, INIT_CWND).
		if round == 0 && served != 2 {
			t.Fatalf("first flight: %d DATA, want 2", served)
		}
		got += served
		now = now.Add(10 * time.Millisecond)
		ack, _ := wire.AppendDatagram(nil, ours, &c, acks...)
		e.HandleDatagram(now, rawPeer, ack)
	}
	if got != 3 {
		t.Fatalf("%d chunks served", got)
	}
}

// TestHandshakeRetryAlternates: an unanswered HANDSHAKE is resent, alternating between the RFC
// form (with option 9) and libswift's, and the peer is given up after HandshakeAttempts.
func TestHandshakeRetryAlternates(t *testing.T) {
	e := New(Config{HandshakeAttempts: 4})
	id, err := e.AddSwarm(NewSwarmConfig(emptyStore(t, bytes.Repeat([]byte{7}, 20), 0, testCS)))
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	if err := e.Connect(now, id, rawPeer); err != nil {
		t.Fatal(err)
	}
	var forms []bool
	for range 10 {
		for _, dg := range decodeOut(t, e.Outgoing()) {
			forms = append(forms, dg.Messages[0].(*wire.Handshake).Options.Has(wire.OptChunkSize))
		}
		now = e.NextDeadline()
		if now.IsZero() {
			break
		}
		e.Tick(now)
	}
	if len(forms) != 4 || !forms[0] || forms[1] || !forms[2] || forms[3] {
		t.Fatalf("handshake forms (has option 9) %v", forms)
	}
	var unreachable bool
	for _, ev := range e.Events() {
		unreachable = unreachable || (ev.Kind == EventPeerUnreachable && errors.Is(ev.Err, errHandshakeUnanswered))
	}
	if !unreachable || len(e.channels) != 0 {
		t.Fatal("peer not given up")
	}
}

// TestCompatRemembered: a peer that answers without option 9 is remembered as libswift-like,
// and the next channel to it starts in that form.
func TestCompatRemembered(t *testing.T) {
	e, id, ours := connectingEngine(t)
	o := replyOptions()
	o.SetMinVersion(1)
	c := wire.DefaultContext()
	reply, _ := wire.AppendDatagram(nil, ours, &c, &wire.Handshake{Source: 0x99, Options: o})
	e.HandleDatagram(t0, rawPeer, reply)
	if len(e.Peers(id)) != 1 {
		t.Fatal("reply not accepted")
	}
	_ = e.RemoveSwarm(t0, id)
	closeDgs := decodeOut(t, e.Outgoing())
	if h, ok := closeDgs[len(closeDgs)-1].Messages[0].(*wire.Handshake); !ok || !h.IsClose() || closeDgs[len(closeDgs)-1].Channel != 0x99 {
		t.Fatal("no explicit close on removal")
	}
	id, _ = e.AddSwarm(NewSwarmConfig(emptyStore(t, bytes.Repeat([]byte{7}, 20), 0, testCS)))
	_ = e.Connect(t0, id, rawPeer)
	again := decodeOut(t, e.Outgoing())[0].Messages[0].(*wire.Handshake)
	if again.Options.Has(wire.OptChunkSize) {
		t.Fatal("libswift-like peer got option 9 again")
	}
}

// TestChokedPeerThatKeepsRequesting: with one upload slot, the second peer is choked; when it
// keeps sending REQUESTs it is disconnected.
func TestChokedPeerThatKeepsRequesting(t *testing.T) {
	e, id := seedingEngine(t, Config{MaxUploads: 1, DisconnectScore: 4 * offenceWeight[offIgnoredChoke]}, testContent(9, 8*testCS))
	e.HandleDatagram(t0, rawPeer, initiate(t, 1, id, true, nil))
	_ = e.Outgoing()
	e.HandleDatagram(t0, rawPeer2, initiate(t, 2, id, true, nil))
	dgs := decodeOut(t, e.Outgoing())
	var choked bool
	var ours wire.ChannelID
	for _, dg := range dgs {
		for _, m := range dg.Messages {
			if h, ok := m.(*wire.Handshake); ok {
				ours = h.Source
			}
			_, isChoke := m.(*wire.Choke)
			choked = choked || isChoke
		}
	}
	if !choked {
		t.Fatal("second peer not choked")
	}
	c := wire.DefaultContext()
	c.Hash = wire.SHA1
	req, _ := wire.AppendDatagram(nil, ours, &c, &wire.Request{Spec: wire.RangeSpec(0, 0)})
	for i := range 4 {
		e.HandleDatagram(t0.Add(time.Duration(i)*time.Millisecond), rawPeer2, req)
		for _, dg := range decodeOut(t, e.Outgoing()) {
			for _, m := range dg.Messages {
				if _, ok := m.(*wire.Data); ok {
					t.Fatal("served a choked peer")
				}
			}
		}
	}
	st := e.Stats()
	if st.IgnoredChokes != 4 || st.ClosedIgnoredChoke != 1 || len(e.Peers(id)) != 1 {
		t.Fatalf("ignored %d closed %d peers %d", st.IgnoredChokes, st.ClosedIgnoredChoke, len(e.Peers(id)))
	}
}

// TestMalformedDatagramsCloseChannel: RFC 7574 §3, stop talking to a peer that keeps sending
// invalid messages.
func TestMalformedDatagramsCloseChannel(t *testing.T) {
	e, id := seedingEngine(t, Config{}, testContent(9, 8*testCS))
	e.HandleDatagram(t0, rawPeer, initiate(t, 1, id, true, nil))
	ours := decodeOut(t, e.Outgoing())[0].Messages[0].(*wire.Handshake).Source
	bad := wire.AppendHeader(nil, ours)
	bad = append(bad, 0x42)
	for range 3 {
		e.HandleDatagram(t0, rawPeer, bad)
	}
	if st := e.Stats(); st.Drops[DropMalformed] != 3 || st.ClosedMalformed != 1 || len(e.Peers(id)) != 0 {
		t.Fatalf("%+v", st)
	}
	// A datagram on the channel from another address is dropped, not processed.
	e.HandleDatagram(t0, rawPeer2, wire.AppendHeader(nil, ours))
	if e.Stats().Drops[DropUnknownChannel]+e.Stats().Drops[DropWrongPeer] == 0 {
		t.Fatal("not counted")
	}
}

// TestStorageFailure: a write error puts the swarm in an error state; the engine and its other
// swarms go on.
func TestStorageFailure(t *testing.T) {
	net := newSimNet(t, 3)
	data := testContent(10, 40*testCS)
	seeder := net.seedNode("seeder", data, testCS, Config{}, link{delay: 5 * time.Millisecond})
	lc := net.leechNode("leech", []byte(seeder.id), int64(len(data)), testCS, Config{}, link{delay: 5 * time.Millisecond})
	lc.content.failErr = errors.New("no space left on device")
	net.connect(lc, seeder)
	net.run(30*time.Second, func() bool { _, _, err := lc.eng.Progress(lc.id); return err != nil })
	have, _, err := lc.eng.Progress(lc.id)
	if err == nil || have != 0 || lc.eng.Stats().StorageErrors == 0 {
		t.Fatalf("have %d err %v", have, err)
	}
	var sawErr bool
	for _, ev := range lc.events {
		sawErr = sawErr || ev.Kind == EventSwarmError
	}
	if !sawErr {
		t.Fatal("no swarm-error event")
	}
	// The seeder keeps serving others.
	lc2 := net.leechNode("leech2", []byte(seeder.id), int64(len(data)), testCS, Config{}, link{delay: 5 * time.Millisecond})
	net.connect(lc2, seeder)
	if !net.run(time.Minute, allComplete(lc2)) || !bytes.Equal(lc2.content.data, data) {
		t.Fatal("second leecher did not complete")
	}
}

func netipAddr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestSupportedMessagesRespected: a peer announcing it does not support PEX (option 8) gets
// no PEX_REQ from us.
func TestSupportedMessagesRespected(t *testing.T) {
	e, _, ours := connectingEngine(t)
	o := replyOptions()
	o.SetSupportedMessages(wire.TypeHandshake, wire.TypeData, wire.TypeAck, wire.TypeHave, wire.TypeIntegrity, wire.TypeRequest)
	o.SetChunkSize(testCS)
	c := wire.DefaultContext()
	reply, _ := wire.AppendDatagram(nil, ours, &c, &wire.Handshake{Source: 0x99, Options: o}, &wire.Have{Spec: wire.RangeSpec(0, 3)})
	e.HandleDatagram(t0, rawPeer, reply)
	var types []wire.MsgType
	for _, dg := range decodeOut(t, e.Outgoing()) {
		for _, m := range dg.Messages {
			types = append(types, m.Type())
		}
	}
	for _, typ := range types {
		if typ == wire.TypePexReq {
			t.Fatalf("sent PEX_REQ to a peer without PEX: %v", types)
		}
	}
	if len(types) == 0 || types[len(types)-1] != wire.TypeRequest {
		t.Fatalf("expected a REQUEST, sent %v", types)
	}
}

// TestSilentPeerTimesOut: a channel that hears nothing for ChannelTimeout is closed, with
// keep-alives sent meanwhile (§3.12).
func TestSilentPeerTimesOut(t *testing.T) {
	e, id := seedingEngine(t, Config{KeepAlive: 10 * time.Second, ChannelTimeout: time.Minute}, testContent(9, 4*testCS))
	e.HandleDatagram(t0, rawPeer, initiate(t, 5, id, true, nil))
	_ = e.Outgoing()
	keepalives := 0
	for now := t0; now.Sub(t0) < 2*time.Minute; {
		now = e.NextDeadline()
		if now.IsZero() {
			break
		}
		e.Tick(now)
		for _, p := range e.Outgoing() {
			if len(p.Data) == wire.HeaderLen {
				keepalives++
			}
		}
	}
	if keepalives < 5 || e.Stats().ClosedTimeout != 1 || len(e.Peers(id)) != 0 {
		t.Fatalf("keep-alives %d, closed %d", keepalives, e.Stats().ClosedTimeout)
	}
}

// TestTwoSwarmsOneEngine: channels of different swarms share one engine (one socket).
func TestTwoSwarmsOneEngine(t *testing.T) {
	net := newSimNet(t, 21)
	d1, d2 := testContent(31, 40*testCS), testContent(32, 70*testCS+3)
	seeder := net.seedNode("seeder", d1, testCS, Config{}, link{delay: 5 * time.Millisecond})
	second := seededStore(t, d2, testCS)
	id2, err := seeder.eng.AddSwarm(NewSwarmConfig(second))
	if err != nil {
		t.Fatal(err)
	}
	leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, Config{}, link{delay: 5 * time.Millisecond})
	store2 := emptyStore(t, []byte(id2), 0, testCS)
	lid2, err := leech.eng.AddSwarm(NewSwarmConfig(store2))
	if err != nil {
		t.Fatal(err)
	}
	net.connect(leech, seeder)
	if err := leech.eng.Connect(net.now, lid2, seeder.addr); err != nil {
		t.Fatal(err)
	}
	net.collect(leech)
	done := func() bool {
		h2, n2, _ := leech.eng.Progress(lid2)
		return leech.complete() && n2 > 0 && h2 == n2
	}
	if !net.run(time.Minute, done) {
		t.Fatal("not both swarms complete")
	}
	if !bytes.Equal(leech.content.data, d1) || !bytes.Equal(store2.data, d2) {
		t.Fatal("content differs")
	}
}

// connectingEngine is a leecher that has sent its first HANDSHAKE to rawPeer; it returns the
// engine, the swarm and the channel ID a reply must be addressed to.
func connectingEngine(t *testing.T) (*Engine, SwarmID, wire.ChannelID) {
	t.Helper()
	e := New(Config{})
	id, _ := e.AddSwarm(NewSwarmConfig(emptyStore(t, bytes.Repeat([]byte{7}, 20), 0, testCS)))
	if err := e.Connect(t0, id, rawPeer); err != nil {
		t.Fatal(err)
	}
	return e, id, decodeOut(t, e.Outgoing())[0].Messages[0].(*wire.Handshake).Source
}

// replyOptions are the options of a SHA-1, chunk32 Merkle swarm's reply HANDSHAKE without
// option 9 (as libswift answers).
func replyOptions() wire.Options {
	var o wire.Options
	o.SetVersion(1)
	o.SetIntegrity(wire.IntegrityMerkle)
	o.SetHash(wire.SHA1)
	o.SetAddressing(wire.ChunkRange32)
	return o
}

// TestResentHandshakeGetsHaves: when our reply to a HANDSHAKE is lost, the peer sends its
// HANDSHAKE again; the new reply must carry our HAVEs again, or the peer never learns what
// we have (HAVEs are not otherwise resent) and a download can stall for good.
func TestResentHandshakeGetsHaves(t *testing.T) {
	e, id := seedingEngine(t, Config{}, testContent(9, 8*testCS))
	hs := initiate(t, 5, id, true, nil)
	e.HandleDatagram(t0, rawPeer, hs)
	_ = e.Outgoing() // lost
	e.HandleDatagram(t0.Add(time.Second), rawPeer, hs)
	dgs := decodeOut(t, e.Outgoing())
	if len(dgs) != 1 || len(dgs[0].Messages) < 2 {
		t.Fatalf("second reply %+v", dgs)
	}
	if _, ok := dgs[0].Messages[1].(*wire.Have); !ok {
		t.Fatalf("second reply without HAVE: %T", dgs[0].Messages[1])
	}
}
