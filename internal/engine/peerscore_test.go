package engine

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Unit tests of the peer policy (peerscore.go) on hand-made channels.

// scoreEngine is a leecher of a 64-chunk swarm (size known) with established channels to
// the given peers, each announcing every chunk.
func scoreEngine(t *testing.T, cfg Config, peers ...netip.AddrPort) (*Engine, *swarm, []*channel) {
	t.Helper()
	data := testContent(21, 64*testCS)
	e := New(cfg)
	id, err := e.AddSwarm(NewSwarmConfig(emptyStore(t, seededStore(t, data, testCS).Root(), int64(len(data)), testCS)))
	if err != nil {
		t.Fatal(err)
	}
	s := e.swarms[id]
	var chs []*channel
	for k, p := range peers {
		ch := newChannel(wire.ChannelID(100+k), p, s, t0)
		ch.state, ch.remote = stateEstablished, wire.ChannelID(200+k)
		e.channels[ch.local] = ch
		s.channels = append(s.channels, ch)
		e.addPeerHave(ch, bins.ChunkRange{Start: 0, End: s.n - 1})
		chs = append(chs, ch)
	}
	return e, s, chs
}

func TestScoreDisconnectsAtLimit(t *testing.T) {
	e, s, chs := scoreEngine(t, Config{}, rawPeer)
	ch := chs[0]
	for k := range 7 {
		if e.report(t0.Add(time.Duration(k)*time.Millisecond), ch, offBadChunk) {
			t.Fatalf("closed after %d bad chunks", k+1)
		}
	}
	if !e.report(t0.Add(7*time.Millisecond), ch, offBadChunk) || ch.state != stateClosed {
		t.Fatal("not closed at the 8th bad chunk")
	}
	st := e.Stats()
	if st.ClosedBadData != 1 || st.PeersBanned != 1 || !s.banned(t0.Add(29*time.Second), rawPeer) || s.banned(t0.Add(31*time.Second), rawPeer) {
		t.Fatalf("closed %d, banned %d, ban %+v", st.ClosedBadData, st.PeersBanned, s.bans[rawPeer])
	}
}

// TestScoreCredit: good chunks offset bad ones, so a peer that spoils the first send of
// every other chunk (each then comes right) is never dropped; credit is bounded by
// MaxCredit, so a long honest past buys a limited number of lies.
func TestScoreCredit(t *testing.T) {
	e, _, chs := scoreEngine(t, Config{}, rawPeer)
	ch := chs[0]
	now := t0
	for range 1000 {
		now = now.Add(time.Millisecond)
		if e.report(now, ch, offBadChunk) {
			t.Fatal("a peer as good as it is bad was dropped")
		}
		e.credit(now, ch)
		e.credit(now, ch)
	}
	if ch.score < -DefaultConfig().MaxCredit {
		t.Fatalf("score %v below -MaxCredit", ch.score)
	}
	lies := 0
	for !e.report(now, ch, offBadChunk) {
		lies++
	}
	if want := int(DefaultConfig().MaxCredit + DefaultConfig().DisconnectScore); lies < want-2 || lies > want {
		t.Fatalf("%d lies after a long good run, want about %d", lies, want)
	}
}

func TestScoreDecays(t *testing.T) {
	e, _, chs := scoreEngine(t, Config{}, rawPeer)
	ch := chs[0]
	for range 4 {
		e.report(t0, ch, offBadChunk)
	}
	// Five minutes later (one half-life) the four offences weigh two.
	e.report(t0.Add(DefaultConfig().ScoreHalfLife), ch, offOversizeData)
	if ch.score < 1.99 || ch.score > 2.01 {
		t.Fatalf("score %v after a half-life, want 2", ch.score)
	}
}

// TestMostlyBadSlowLiar: a peer that sends one bad chunk a minute and nothing good never
// reaches the score limit (decay), but is mostly bad and dropped at the 8th.
func TestMostlyBadSlowLiar(t *testing.T) {
	e, _, chs := scoreEngine(t, Config{ScoreHalfLife: time.Minute}, rawPeer)
	ch := chs[0]
	for k := range 7 {
		if e.report(t0.Add(time.Duration(k)*time.Minute), ch, offBadChunk) {
			t.Fatalf("closed at %d", k+1)
		}
	}
	if ch.score >= DefaultConfig().DisconnectScore || !e.report(t0.Add(7*time.Minute), ch, offBadChunk) {
		t.Fatalf("score %v, not closed as mostly bad", ch.score)
	}
}

func TestOffenceCauses(t *testing.T) {
	for _, c := range []struct {
		o     offence
		n     int
		cause func(Stats) uint64
	}{
		{offBadDatagram, 3, func(s Stats) uint64 { return s.ClosedMalformed }},
		{offIgnoredChoke, 16, func(s Stats) uint64 { return s.ClosedIgnoredChoke }},
		{offRequestFlood, 64, func(s Stats) uint64 { return s.ClosedFlood }},
		{offBadPeaks, 2, func(s Stats) uint64 { return s.ClosedBadData }},
		{offUnverifiable, 32, func(s Stats) uint64 { return s.ClosedBadData }},
	} {
		e, _, chs := scoreEngine(t, Config{}, rawPeer)
		for k := range c.n {
			if closed := e.report(t0, chs[0], c.o); closed != (k == c.n-1) {
				t.Fatalf("offence %d: closed %v at %d of %d", c.o, closed, k+1, c.n)
			}
		}
		if c.cause(e.Stats()) != 1 {
			t.Fatalf("offence %d: cause not counted: %+v", c.o, e.Stats())
		}
	}
	// Oversize DATA alone never closes.
	e, _, chs := scoreEngine(t, Config{}, rawPeer)
	for range 10000 {
		if e.report(t0, chs[0], offOversizeData) {
			t.Fatal("closed for oversize DATA")
		}
	}
}

// TestBanBackoff: bans double with each repeat, up to MaxBanTime.
func TestBanBackoff(t *testing.T) {
	e, s, _ := scoreEngine(t, Config{})
	now := t0
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for _, d := range want {
		e.ban(now, s, rawPeer)
		if got := s.bans[rawPeer].until.Sub(now); got != d {
			t.Fatalf("ban %v, want %v", got, d)
		}
		now = s.bans[rawPeer].until
	}
	for range 20 {
		e.ban(now, s, rawPeer)
	}
	if got := s.bans[rawPeer].until.Sub(now); got != time.Hour {
		t.Fatalf("ban %v, want the 1 h cap", got)
	}
	if err := e.Connect(now, s.id, rawPeer); !errors.Is(err, ErrPeerBanned) {
		t.Fatalf("connect to banned peer: %v", err)
	}
}

// TestBannedPeerHandshakeRefused: a banned peer's HANDSHAKE is not answered.
func TestBannedPeerHandshakeRefused(t *testing.T) {
	e, id := seedingEngine(t, Config{}, testContent(9, 8*testCS))
	e.ban(t0, e.swarms[id], rawPeer)
	e.HandleDatagram(t0, rawPeer, initiate(t, 5, id, true, nil))
	if len(e.Outgoing()) != 0 || e.Stats().HandshakesRefused != 1 {
		t.Fatalf("answered a banned peer; refused %d", e.Stats().HandshakesRefused)
	}
	e.HandleDatagram(t0.Add(31*time.Second), rawPeer, initiate(t, 6, id, true, nil))
	if len(e.Outgoing()) == 0 {
		t.Fatal("not answered after the ban")
	}
}

// TestTimeoutRounds: the only source is paused with a doubling backoff from the second
// round on and never dropped for timeouts; with another source, it is dropped after
// MaxTimeouts rounds.
func TestTimeoutRounds(t *testing.T) {
	e, _, chs := scoreEngine(t, Config{}, rawPeer)
	ch := chs[0]
	now := t0
	if e.timeoutRound(now, ch) || !ch.pausedUntil.IsZero() {
		t.Fatal("paused after one round (a lost REQUEST looks the same)")
	}
	var pauses []time.Duration
	for range 10 {
		now = now.Add(2 * time.Second)
		if e.timeoutRound(now, ch) {
			t.Fatal("the only source dropped for timeouts")
		}
		pauses = append(pauses, ch.pausedUntil.Sub(now))
		now = ch.pausedUntil
	}
	want := []time.Duration{2, 4, 8, 8, 8}
	for k, w := range want {
		if pauses[k] != w*time.Second {
			t.Fatalf("pauses %v", pauses)
		}
	}
	if e.requestCap(ch, 100) != probeRequests {
		t.Fatal("no probe cap after timeouts")
	}
	e.credit(now, ch)
	if ch.paused(now) || e.requestCap(ch, 100) != 100 {
		t.Fatal("a delivered chunk did not end the backoff")
	}

	e, _, chs = scoreEngine(t, Config{}, rawPeer, rawPeer2)
	for k := range DefaultConfig().MaxTimeouts {
		if closed := e.timeoutRound(t0, chs[0]); closed != (k == DefaultConfig().MaxTimeouts-1) {
			t.Fatalf("closed %v at round %d", closed, k+1)
		}
	}
	if e.Stats().ClosedUnresponsive != 1 {
		t.Fatal("not counted")
	}
}

// TestChunkBackoff: a chunk that came bad from the only source is asked again at once the
// first time, then only after a doubling pause; with another source, that one is asked.
func TestChunkBackoff(t *testing.T) {
	e, _, chs := scoreEngine(t, Config{}, rawPeer)
	ch := chs[0]
	e.chunkFailed(t0, ch, 5, true)
	if !e.chunkAllowed(t0, ch, 5) {
		t.Fatal("first retry from the only source not at once")
	}
	e.chunkFailed(t0, ch, 5, true)
	if e.chunkAllowed(t0.Add(3*time.Second), ch, 5) || !e.chunkAllowed(t0.Add(4*time.Second), ch, 5) {
		t.Fatal("second failure: want a 4 s pause")
	}
	for range 10 {
		e.chunkFailed(t0, ch, 5, true)
	}
	if e.chunkAllowed(t0.Add(31*time.Second), ch, 5) || !e.chunkAllowed(t0.Add(32*time.Second), ch, 5) {
		t.Fatal("pause not capped at 4·MaxRequestBackoff")
	}

	e, _, chs = scoreEngine(t, Config{}, rawPeer, rawPeer2)
	e.chunkFailed(t0, chs[0], 5, true)
	if e.chunkAllowed(t0, chs[0], 5) || !e.chunkAllowed(t0, chs[1], 5) {
		t.Fatal("with another source, the chunk must be asked there")
	}
}

// TestBannedOnlySourceReconnects: when the ban of a swarm's only source ends, the engine's
// timers connect to it again, once per ban, on probation.
func TestBannedOnlySourceReconnects(t *testing.T) {
	e, s, chs := scoreEngine(t, Config{}, rawPeer)
	e.disconnect(t0, chs[0], errBadData)
	_ = e.Outgoing()
	if d := e.NextDeadline(); !d.Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("next deadline %v, want the ban's end", d)
	}
	e.Tick(t0.Add(30 * time.Second))
	out := decodeOut(t, e.Outgoing())
	if len(out) != 1 || out[0].Channel != 0 || e.Stats().BanRetries != 1 {
		t.Fatalf("no HANDSHAKE to the banned only source: %+v", out)
	}
	if len(s.channels) != 1 || !s.channels[0].probation || e.requestCap(s.channels[0], 100) != probeRequests {
		t.Fatal("not on probation")
	}
	e.Tick(t0.Add(40 * time.Second))
	if e.Stats().BanRetries != 1 {
		t.Fatal("retried twice for one ban")
	}
}
