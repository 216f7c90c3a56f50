package engine

import (
	"errors"
	"net/netip"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// Protocol version this engine speaks (RFC 7574 §7.2).
const protocolVersion = 1

// firstHandshakeRetry is the wait before the first retry of an unanswered HANDSHAKE.
const firstHandshakeRetry = 300 * time.Millisecond

var (
	errHandshakeUnanswered = errors.New("no answer to HANDSHAKE")
	errHandshakeMismatch   = errors.New("peer's HANDSHAKE options do not match the swarm")
)

// handshakeOptions builds our option list. In compat form it leaves out the chunk-size option
// that RFC 7574 §7.11 makes mandatory, because libswift rejects a HANDSHAKE carrying an option
// it does not know; and, as libswift does, a responder leaves out the swarm ID (a MAY, §7.4).
func handshakeOptions(s *swarm, a wire.Addressing, initiator, compat bool) wire.Options {
	var o wire.Options
	o.SetVersion(protocolVersion)
	o.SetMinVersion(protocolVersion)
	if initiator || !compat {
		o.SetSwarmID([]byte(s.id))
	}
	o.SetIntegrity(s.integrity.method())
	if s.live == nil || s.hash != wire.SHA1 {
		// Live swarms leave option 4 out when the tree hashes with SHA-1, as libswift does
		// and wire.Context.Apply assumes (RFC 7574 names no hash for live trees).
		o.SetHash(s.hash)
	}
	o.SetAddressing(a)
	if s.live != nil {
		// §7.7, §7.9: the source's signature algorithm and the chunks we keep.
		o.SetSigAlg(s.live.pub.Alg().Wire())
		o.SetDiscardWindow(s.live.cfg.Window.Option(a))
	}
	if !compat {
		o.SetChunkSize(s.chunkSize)
	}
	return o
}

// connect opens a channel to peer for s, unless one exists or the peer is banned; it
// returns the new channel or nil.
func (e *Engine) connect(now time.Time, s *swarm, peer netip.AddrPort) *channel {
	if s.banned(now, peer) {
		return nil
	}
	for _, ch := range s.channels {
		if ch.peer == peer {
			return nil
		}
	}
	ch := newChannel(e.newChannelID(), peer, s, now)
	ch.state = stateInitiated
	ch.compat = e.compat[peer]
	e.channels[ch.local] = ch
	s.channels = append(s.channels, ch)
	e.sendHandshake(now, ch)
	return ch
}

// sendHandshake sends (or resends) the first datagram of a handshake, to channel 0 (§3.1.1
// step 1). It carries no other messages: heavy payload is not allowed, and our HAVEs follow
// once the peer has answered.
func (e *Engine) sendHandshake(now time.Time, ch *channel) {
	h := wire.Handshake{Source: ch.local, Options: handshakeOptions(ch.swarm, ch.swarm.addressing, true, ch.compat)}
	b, err := h.Append(wire.AppendHeader(nil, 0), &ch.ctx)
	if err != nil {
		return
	}
	ch.hsAttempts++
	wait := e.cfg.HandshakeRetry
	if ch.hsAttempts == 1 && !ch.compat {
		// libswift ignores the RFC form; the first retry (in its form) comes soon, so a
		// libswift peer answers in a fraction of a second. Later retries wait longer.
		wait = min(wait, firstHandshakeRetry)
	}
	ch.hsNext = now.Add(wait)
	e.send(now, ch, b)
}

// retryHandshake runs when a HANDSHAKE went unanswered. The retries alternate between the
// RFC form and the form libswift accepts, so one lost datagram does not decide the form; the
// reply tells which form the peer takes, and that is remembered for the peer.
func (e *Engine) retryHandshake(now time.Time, ch *channel) {
	if ch.hsAttempts >= e.cfg.HandshakeAttempts {
		e.stats.ClosedUnresponsive++
		e.emit(Event{Kind: EventPeerUnreachable, Swarm: ch.swarm.id, Peer: ch.peer, Err: errHandshakeUnanswered})
		e.closeChannel(now, ch, false, errHandshakeUnanswered)
		return
	}
	e.stats.HandshakeRetries++
	ch.compat = !ch.compat
	if ch.compat {
		e.stats.CompatFallbacks++
	}
	e.sendHandshake(now, ch)
}

// handshakeState is a channel's part in the handshake (RFC 7574 §3.1.1) and what it settled:
// the form the peer speaks, what it supports, and whether heavy payload may flow yet.
type handshakeState struct {
	// compat: talk to this peer in the form libswift accepts (no chunk-size option).
	compat bool
	// confirmed: the peer has sent on our channel ID, completing the three-way handshake;
	// only then may we send heavy payload (RFC 7574 §3.1.1 step 7).
	confirmed bool
	// peerOpts is what the peer's HANDSHAKE announced; it tells which messages it supports.
	peerOpts wire.Options
	// replyDue: our answer to the peer's HANDSHAKE goes out with the next flush.
	replyDue bool
	// hsAttempts counts the HANDSHAKEs sent on a channel we initiated; hsNext is when the
	// next is due if no reply comes (retryHandshake).
	hsAttempts int
	hsNext     time.Time
}

// offer is what an initiator's HANDSHAKE asks for, once checked against our swarms.
type offer struct {
	swarm      *swarm
	addressing wire.Addressing
	compat     bool
}

// checkOffer decides whether we answer a HANDSHAKE to channel 0. RFC 7574 §3.1.1 step 2:
// if any check fails or the swarm is not ours, we stay silent.
func (e *Engine) checkOffer(o *wire.Options) (offer, bool) {
	if !versionOK(o) || !o.Has(wire.OptSwarmID) {
		return offer{}, false
	}
	s, ok := e.swarms[SwarmID(o.SwarmID)]
	if !ok {
		return offer{}, false
	}
	a := wire.ChunkRange32 // the RFC default (§7.8)
	if o.Has(wire.OptAddressing) {
		a = o.Addressing
	}
	if !supportedAddressing(a) || !s.matches(o) {
		return offer{}, false
	}
	return offer{swarm: s, addressing: a, compat: !o.Has(wire.OptChunkSize)}, true
}

func versionOK(o *wire.Options) bool {
	if o.Has(wire.OptMinVersion) && o.MinVersion > protocolVersion {
		return false
	}
	return !o.Has(wire.OptVersion) || o.Version >= protocolVersion
}

// supportedAddressing: chunk ranges are mandatory (§4.1.1); bins are optional and we speak
// them; 64-bit byte ranges (optional) are not supported.
func supportedAddressing(a wire.Addressing) bool { return a.Known() && a != wire.ByteRange64 }

// matches checks the options that must agree with the swarm's metadata: integrity method,
// hash function (SHA-256 when absent, the RFC default) and chunk size; and that no live-only
// option appears for static content.
func (s *swarm) matches(o *wire.Options) bool {
	if o.Has(wire.OptIntegrity) && o.Integrity != s.integrity.method() {
		return false
	}
	h := wire.SHA256
	if s.live != nil {
		h = wire.SHA1 // an unnamed live tree hash (see handshakeOptions)
	}
	if o.Has(wire.OptHashFunc) {
		h = o.Hash
	}
	if h != s.hash {
		return false
	}
	if o.Has(wire.OptChunkSize) && o.ChunkSize != s.chunkSize {
		return false
	}
	if s.live != nil {
		// The peer's discard window is its own business (§6.2); the algorithm must be the
		// one the swarm ID names (§7.7).
		return !o.Has(wire.OptSigAlg) || o.SigAlg == s.live.pub.Alg().Wire()
	}
	return !o.Has(wire.OptSigAlg) && !o.Has(wire.OptDiscardWindow)
}

// acceptHandshake handles a datagram to channel 0: a peer opening a channel.
func (e *Engine) acceptHandshake(now time.Time, from netip.AddrPort, b []byte) {
	ctx := wire.DefaultContext()
	dg, err := e.dec.Decode(b, &ctx)
	if len(dg.Messages) == 0 {
		if err != nil {
			e.stats.Drops[DropMalformed]++
		} else {
			e.stats.Drops[DropNotHandshake]++
		}
		return
	}
	h, ok := dg.Messages[0].(*wire.Handshake)
	if !ok {
		e.stats.Drops[DropNotHandshake]++
		return
	}
	if h.IsClose() {
		return // a close for a channel that does not exist yet: nothing to do
	}
	if ch := e.byRemote[remoteKey{from, h.Source}]; ch != nil {
		// A resent HANDSHAKE: our reply was lost, and with it the HAVEs that rode along
		// (§3.2: HAVEs are not resent otherwise). Answer again, on the same channel, with them.
		if !ch.replyDue {
			e.queueHaves(ch)
		}
		ch.replyDue = true
		e.markDirty(ch)
		return
	}
	off, ok := e.checkOffer(&h.Options)
	if !ok {
		if e.askForSwarm(&h.Options, from, b) {
			return
		}
		e.stats.Drops[DropHandshake]++
		return
	}
	if e.channelsAt(off.swarm, from.Addr()) >= e.cfg.MaxChannelsPerIP {
		e.closeIdleSeedChannel(now, off.swarm, from.Addr())
	}
	if off.swarm.banned(now, from) || e.channelsAt(off.swarm, from.Addr()) >= e.cfg.MaxChannelsPerIP {
		// Banned for misbehaving, or one of a flood of HANDSHAKEs from many source ports
		// (peerscore.go): stay silent, as for a swarm we do not serve (§3.1.1 step 2).
		e.stats.HandshakesRefused++
		return
	}
	if !e.resolveCrossing(now, off.swarm, from, h.Source) {
		return
	}
	ch := newChannel(e.newChannelID(), from, off.swarm, now)
	ch.remote = h.Source
	ch.state = stateEstablished
	ch.compat = off.compat
	ch.peerOpts = supportedOnly(&h.Options)
	ch.ctx.Addressing = off.addressing
	ch.replyDue = true
	e.channels[ch.local] = ch
	e.byRemote[remoteKey{from, ch.remote}] = ch
	off.swarm.channels = append(off.swarm.channels, ch)
	off.swarm.known[from] = now
	if off.swarm.uploads() > e.cfg.MaxUploads {
		// Upload slots are full: tell the peer now rather than ignore its requests (§3.9).
		ch.weChoke = true
		ch.queueMsg(&wire.Choke{})
	}
	e.queueHaves(ch)
	e.emit(Event{Kind: EventPeerConnected, Swarm: off.swarm.id, Peer: from})
	// Datagram 1 may carry minor payload after the HANDSHAKE (§3.1.1 step 1).
	for _, m := range dg.Messages[1:] {
		e.handleMessage(now, ch, m, false)
	}
	if err != nil {
		e.stats.Drops[DropMalformed]++
	}
	e.markDirty(ch)
}

// errBothComplete closes a channel between two peers that hold the whole content.
var errBothComplete = errors.New("both peers hold the whole content, and a peer at the address needs the place")

// closeIdleSeedChannel makes room at address a, whose channels in s reached
// MaxChannelsPerIP, by closing one channel whose peer holds the whole of a static swarm we
// hold whole too: neither side can give the other anything. Seeds behind one NAT, or many
// daemons on one machine, otherwise fill the places with such channels and refuse the
// leechers that come after. Only at the limit: until then such a channel still carries PEX.
func (e *Engine) closeIdleSeedChannel(now time.Time, s *swarm, a netip.Addr) {
	if s.live != nil || !s.complete {
		return
	}
	for _, ch := range s.channels {
		if ch.peer.Addr() == a && ch.seeder && ch.state == stateEstablished {
			e.stats.ClosedBothComplete++
			e.closeChannel(now, ch, true, errBothComplete)
			return
		}
	}
}

// channelsAt counts the channels of s with peers at address a (any port).
func (e *Engine) channelsAt(s *swarm, a netip.Addr) int {
	n := 0
	for _, ch := range s.channels {
		if ch.peer.Addr() == a {
			n++
		}
	}
	return n
}

// resolveCrossing decides what happens when a peer opens a channel in a swarm where we
// already have one with it. Both sides may have connected at once (each learned the other by
// PEX): then the channel whose initiator picked the larger ID survives, a rule both sides
// apply alike, so exactly one channel remains. A peer with an established channel that opens
// another has lost its state (restarted): the old channel goes. It reports whether to accept.
func (e *Engine) resolveCrossing(now time.Time, s *swarm, from netip.AddrPort, theirs wire.ChannelID) bool {
	for _, ch := range slices.Clone(s.channels) { // closing removes from s.channels
		if ch.peer != from {
			continue
		}
		if ch.state == stateInitiated && ch.local > theirs {
			return false // ours wins; the peer drops its own when our HANDSHAKE arrives
		}
		e.closeChannel(now, ch, false, nil)
	}
	return true
}

// onReply handles the responder's HANDSHAKE on a channel we initiated (§3.1.1 step 3-6).
func (e *Engine) onReply(now time.Time, ch *channel, h *wire.Handshake) {
	o := &h.Options
	s := ch.swarm
	if !versionOK(o) || !s.matches(o) || (o.Has(wire.OptAddressing) && o.Addressing != ch.ctx.Addressing) ||
		(o.Has(wire.OptSwarmID) && SwarmID(o.SwarmID) != s.id) {
		e.stats.Drops[DropHandshake]++
		e.closeChannel(now, ch, true, errHandshakeMismatch)
		return
	}
	ch.remote = h.Source
	ch.state = stateEstablished
	ch.confirmed = true
	ch.peerOpts = supportedOnly(&h.Options)
	// A peer that answers without the chunk-size option is libswift or speaks like it.
	ch.compat = !o.Has(wire.OptChunkSize)
	e.compat[ch.peer] = ch.compat
	e.byRemote[remoteKey{ch.peer, ch.remote}] = ch
	s.known[ch.peer] = now
	e.queueHaves(ch)
	if !s.complete {
		ch.queueMsg(&wire.PexReq{}) // ask for more peers with the first requests, as libswift does
		ch.pexNext = now.Add(pexAgain)
	}
	e.emit(Event{Kind: EventPeerConnected, Swarm: s.id, Peer: ch.peer})
	e.markDirty(ch)
}

// appendReply encodes our answer to a peer's HANDSHAKE (§3.1.1 step 2).
func (e *Engine) appendReply(b []byte, ch *channel) []byte {
	h := wire.Handshake{Source: ch.local, Options: handshakeOptions(ch.swarm, ch.ctx.Addressing, false, ch.compat)}
	out, err := h.Append(b, &ch.ctx)
	if err != nil {
		return b
	}
	return out
}

// supportedOnly keeps the supported-messages option of a peer's HANDSHAKE, copying the
// bitmap out of the datagram it aliases.
func supportedOnly(o *wire.Options) wire.Options {
	var keep wire.Options
	if o.Has(wire.OptSupportedMessages) {
		var types []wire.MsgType
		for t := wire.MsgType(0); t < wire.NumMsgTypes; t++ {
			if o.Supports(t) {
				types = append(types, t)
			}
		}
		keep.SetSupportedMessages(types...)
	}
	return keep
}
