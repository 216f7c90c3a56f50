package engine

import (
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// dataOverhead is what a DATA datagram carries besides the chunk: channel ID, message type,
// a 64-bit chunk spec at most, the timestamp, and room for datagramHashes INTEGRITY messages
// of SHA-256 hashes with 64-bit chunk ranges.
const dataOverhead = 4 + 1 + 16 + 8 + datagramHashes*(1+16+32)

type channelState uint8

const (
	stateInitiated   channelState = iota // we sent the first HANDSHAKE, no reply yet
	stateEstablished                     // handshakes exchanged
	stateClosed
)

// channel is one peer in one swarm (RFC 7574 §3.11): our ID for it, its ID for us, and all
// per-peer protocol state. That state is split by role, one part per file, so that each
// changes for one reason: the handshake (handshake.go), what the peer has (peerhave.go),
// the hashes it sent for checking its chunks (integrity.go), what we fetch from it
// (fetch.go), what we serve it (serve.go), how fast we may send (sendcongestion.go), how far
// we trust it (peerscore.go) and the control messages waiting for it (ctrlqueue.go). The
// parts are embedded, so code that works across roles (recv.go, send.go, timers.go) names
// their fields directly; a method that needs only one part is that part's.
type channel struct {
	local  wire.ChannelID // the ID the peer sends to
	remote wire.ChannelID // the ID we send to; 0 until its HANDSHAKE arrives
	peer   netip.AddrPort
	swarm  *swarm
	ctx    wire.Context
	state  channelState
	dirty  bool // in Engine.dirty

	created, lastRecv, lastSend time.Time

	handshakeState
	peerChunks
	receivedHashes
	fetchState
	serveState
	sendCongestion
	peerStanding

	ctrlQueue // control messages waiting for the next flush (ctrlqueue.go)

	traffic traffic   // bytes sent and received (traffic.go)
	rate    rateState // its part in the rate limits (ratelimit.go)
}

func newChannel(local wire.ChannelID, peer netip.AddrPort, s *swarm, now time.Time) *channel {
	ch := &channel{
		local:          local,
		peer:           peer,
		swarm:          s,
		created:        now,
		lastRecv:       now,
		lastSend:       now,
		fetchState:     newFetchState(),
		serveState:     newServeState(),
		sendCongestion: newSendCongestion(s, now),
		peerStanding:   newPeerStanding(),
	}
	ch.ctx = wire.DefaultContext()
	ch.ctx.Addressing, ch.ctx.Hash, ch.ctx.ChunkSize = s.addressing, s.hash, s.chunkSize
	ch.ctx.SwarmID = []byte(s.id)
	if s.live != nil {
		ch.ctx.Integrity = s.live.cfg.Method
		ch.ctx.SigAlg = s.live.pub.Alg().Wire()
	}
	if s.n > 0 {
		ch.peerHave = s.newPeerBitmap()
	}
	return ch
}

// queueMsg encodes a control message for the next flush. Messages the peer said it does not
// support (option 8, RFC 7574 §7.10) are not sent; nor are messages that cannot be encoded
// on this channel (a bug, not peer input).
func (ch *channel) queueMsg(m wire.Message) {
	if !ch.peerOpts.Supports(m.Type()) {
		return
	}
	b, err := m.Append(ch.ctrl, &ch.ctx)
	if err != nil {
		return
	}
	ch.pushed(b)
}

// queueAck is queueMsg for the ACK that every chunk received gets, without boxing it in
// an interface (which would allocate one per chunk).
func (ch *channel) queueAck(a *wire.Ack) {
	if !ch.peerOpts.Supports(wire.TypeAck) {
		return
	}
	b, err := a.Append(ch.ctrl, &ch.ctx)
	if err != nil {
		return
	}
	ch.pushed(b)
}
