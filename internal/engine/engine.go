package engine

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Packet is a datagram to send.
type Packet struct {
	To   netip.AddrPort
	Data []byte
}

// remoteKey finds a channel by the peer's address and the peer's channel ID, so that a
// resent HANDSHAKE is recognised and opens no second channel (RFC 7574 §8.2).
type remoteKey struct {
	peer   netip.AddrPort
	remote wire.ChannelID
}

// Engine is the protocol core. See the package comment.
type Engine struct {
	cfg    Config
	swarms map[SwarmID]*swarm
	// timed holds the swarms whose timers may have work (timedswarms.go): the timers visit
	// only these, so thousands of idle seeds cost nothing per loop turn.
	timed    map[SwarmID]*swarm
	channels map[wire.ChannelID]*channel // by our (local) channel ID
	byRemote map[remoteKey]*channel
	// compat remembers peers that answered only the libswift form of our HANDSHAKE.
	compat map[netip.AddrPort]bool

	dec    wire.Decoder
	decCtx wire.Context // the context a datagram decodes with (see receive)
	dirty  []*channel   // channels with something to send at the next flush
	out    []Packet
	// spare holds datagram buffers back from Transmit or Recycle, for newDatagram to reuse.
	spare [][]byte
	// maxChunkSize is the largest chunk size of the swarms added: a DATA datagram's size.
	maxChunkSize uint32
	// busy: requests or DATA are in flight, so the timers run every timerGranularity.
	busy       bool
	lastTimers time.Time

	readCache readCache // chunks read ahead for serving
	pickBuf   []uint64  // scratch for the picker
	candBuf   []candidate
	cursorBuf []uint64            // scratch: each playback window's scan position (pickStreaming)
	uncleBuf  []hashtree.NodeHash // scratch for the hashes sent before it
	// events collects what happened; Events hands it out and keeps spareEvents, the slice
	// handed out before, to collect the next ones in (no allocation per call).
	events, spareEvents []Event
	stats               Stats
	limits              rateLimits // global upload and download caps (ratelimit.go)
}

// ErrUnknownSwarm is returned for operations on a swarm the engine does not hold.
var ErrUnknownSwarm = errors.New("engine: unknown swarm")

// New returns an engine with no swarms.
func New(cfg Config) *Engine {
	return &Engine{
		cfg:      cfg.withDefaults(),
		swarms:   make(map[SwarmID]*swarm),
		timed:    make(map[SwarmID]*swarm),
		channels: make(map[wire.ChannelID]*channel),
		byRemote: make(map[remoteKey]*channel),
		compat:   make(map[netip.AddrPort]bool),
	}
}

// AddSwarm starts serving (and, while incomplete, downloading) a swarm.
func (e *Engine) AddSwarm(cfg SwarmConfig) (SwarmID, error) {
	s, err := newSwarm(cfg, e.cfg.UncleMode, e.cfg.Rand.Uint64())
	if err != nil {
		return "", err
	}
	return e.register(s)
}

// register makes a new swarm known to the engine.
func (e *Engine) register(s *swarm) (SwarmID, error) {
	if _, dup := e.swarms[s.id]; dup {
		return "", fmt.Errorf("engine: swarm %v already added", s.id)
	}
	s.congestion = e.cfg.Congestion
	e.swarms[s.id] = s
	s.timed = e.timed
	e.maxChunkSize = max(e.maxChunkSize, s.chunkSize)
	return s.id, nil
}

// RemoveSwarm closes the swarm's channels (with an explicit close, §8.4) and forgets it.
func (e *Engine) RemoveSwarm(now time.Time, id SwarmID) error {
	s, ok := e.swarms[id]
	if !ok {
		return ErrUnknownSwarm
	}
	for _, ch := range slices.Clone(s.channels) { // closing removes from s.channels
		e.closeChannel(now, ch, true, nil)
	}
	delete(e.swarms, id)
	delete(e.timed, id)
	if e.readCache.swarm == s {
		e.readCache = readCache{}
	}
	return nil
}

// Connect opens a channel to peer for swarm id by sending the first HANDSHAKE.
func (e *Engine) Connect(now time.Time, id SwarmID, peer netip.AddrPort) error {
	s, ok := e.swarms[id]
	if !ok {
		return ErrUnknownSwarm
	}
	if s.banned(now, peer) {
		return ErrPeerBanned
	}
	e.connect(now, s, peer)
	return nil
}

// HandleDatagram processes one received datagram and prepares the answers.
func (e *Engine) HandleDatagram(now time.Time, from netip.AddrPort, b []byte) {
	e.Receive(now, from, b)
	e.Flush(now)
}

// Receive processes one received datagram without preparing answers yet, so that a caller
// holding a batch of datagrams answers them together (one ACK datagram for many DATA) with
// Flush. b is not retained after Receive returns.
func (e *Engine) Receive(now time.Time, from netip.AddrPort, b []byte) {
	e.stats.DatagramsIn++
	e.stats.BytesIn += uint64(len(b))
	e.receive(now, from, b)
}

// Flush turns what the received datagrams caused into datagrams to send (see Outgoing).
func (e *Engine) Flush(now time.Time) { e.flush(now) }

// Tick runs the timers that are due: handshake retries, request and DATA timeouts,
// keep-alives, dead-peer detection.
func (e *Engine) Tick(now time.Time) {
	e.runTimers(now)
	e.wakeThrottled(now)
	e.flush(now)
}

// Outgoing returns the datagrams to send since the last call; the caller owns them. A
// caller may hand them back with Recycle once sent.
func (e *Engine) Outgoing() []Packet {
	out := e.out
	e.out = nil
	return out
}

// maxSpare bounds the datagram buffers kept for reuse: a few windows' worth of GSO batches.
const maxSpare = 1024

// Recycle gives back datagrams from Outgoing that the caller has sent and no longer
// references, so that their buffers make the next datagrams without allocating.
func (e *Engine) Recycle(pkts []Packet) {
	for i := range pkts {
		if len(e.spare) < maxSpare && cap(pkts[i].Data) >= e.datagramCap() {
			e.spare = append(e.spare, pkts[i].Data[:0])
		}
		pkts[i] = Packet{}
	}
}

// transmit hands the waiting datagrams to Config.Transmit and takes their buffers back.
func (e *Engine) transmit() {
	if len(e.out) == 0 {
		return
	}
	e.cfg.Transmit(e.out)
	e.Recycle(e.out)
	e.out = e.out[:0]
}

// Events returns what happened since the last call. The slice is the caller's until the
// next call, which reuses it.
func (e *Engine) Events() []Event {
	ev := e.events
	clear(e.spareEvents) // drop the error values it still references
	e.events, e.spareEvents = e.spareEvents[:0], ev
	return ev
}

// Stats returns the counters.
func (e *Engine) Stats() Stats { return e.stats }

// Progress reports a swarm's verified and total chunk counts (total 0 while unknown), and
// the swarm's error, if storage failed.
func (e *Engine) Progress(id SwarmID) (have, total uint64, err error) {
	s, ok := e.swarms[id]
	if !ok {
		return 0, 0, ErrUnknownSwarm
	}
	if s.live != nil {
		return s.have.count, 0, s.err // a live stream has no end
	}
	return s.have.count, s.n, s.err
}

// Store returns a swarm's store, through which verified bytes are read (it is safe for
// use from other goroutines; the engine's own state is not).
func (e *Engine) Store(id SwarmID) (Store, error) {
	s, ok := e.swarms[id]
	if !ok {
		return nil, ErrUnknownSwarm
	}
	return s.store, nil
}

// Peers returns the addresses of a swarm's established channels.
func (e *Engine) Peers(id SwarmID) []netip.AddrPort {
	s, ok := e.swarms[id]
	if !ok {
		return nil
	}
	var out []netip.AddrPort
	for _, ch := range s.channels {
		if ch.state == stateEstablished {
			out = append(out, ch.peer)
		}
	}
	return out
}

func (e *Engine) emit(ev Event) { e.events = append(e.events, ev) }

// newChannelID picks a random, unused, non-zero channel ID (RFC 7574 §8.3, §12.1).
func (e *Engine) newChannelID() wire.ChannelID {
	for {
		id := wire.ChannelID(e.cfg.Rand.Uint32())
		if _, used := e.channels[id]; id != 0 && !used {
			return id
		}
	}
}

// closeChannel ends a channel. sendClose sends the explicit close HANDSHAKE (§8.4).
func (e *Engine) closeChannel(now time.Time, ch *channel, sendClose bool, reason error) {
	if ch.state == stateClosed {
		return
	}
	if sendClose && ch.remote != 0 {
		b := wire.AppendHeader(nil, ch.remote)
		h := wire.Handshake{Source: 0}
		b, _ = h.Append(b, &ch.ctx)
		e.send(now, ch, b)
	}
	s := ch.swarm
	e.releaseRequests(ch)
	if s.avail != nil && ch.peerHave.n == s.have.n && ch.peerHave.n > 0 {
		for w, word := range ch.peerHave.words {
			for word != 0 {
				bit := uint64(w)*64 + uint64(trailingZeros(word))
				word &= word - 1
				if s.avail[bit] > 0 {
					s.avail[bit]--
				}
			}
		}
	}
	wasUploading := ch.state == stateEstablished && !ch.weChoke
	ch.state = stateClosed
	s.channels = slices.DeleteFunc(s.channels, func(c *channel) bool { return c == ch })
	for _, c := range s.channels {
		e.markDirty(c) // its requests were released: someone else may take them
	}
	if wasUploading {
		e.unchokeOne(s)
	}
	delete(e.channels, ch.local)
	if ch.remote != 0 {
		delete(e.byRemote, remoteKey{ch.peer, ch.remote})
	}
	e.emit(Event{Kind: EventPeerClosed, Swarm: s.id, Peer: ch.peer, Err: reason})
}

// send queues a finished datagram for the runner.
func (e *Engine) send(now time.Time, ch *channel, b []byte) {
	e.out = append(e.out, Packet{To: ch.peer, Data: b})
	e.stats.DatagramsOut++
	e.stats.BytesOut += uint64(len(b))
	e.countSent(ch, len(b))
	ch.lastSend = now
	if e.cfg.Transmit != nil && len(e.out) >= e.cfg.TransmitBatch {
		e.transmit()
	}
}

// uploads counts the established channels of s that we do not choke.
func (s *swarm) uploads() int {
	n := 0
	for _, ch := range s.channels {
		if ch.state == stateEstablished && !ch.weChoke {
			n++
		}
	}
	return n
}

// unchokeOne gives a freed upload slot to a choked peer.
func (e *Engine) unchokeOne(s *swarm) {
	for _, ch := range s.channels {
		if ch.state == stateEstablished && ch.weChoke {
			ch.weChoke = false
			ch.queueMsg(&wire.Unchoke{})
			e.markDirty(ch)
			return
		}
	}
}

// Channels is the number of open channels, over all swarms.
func (e *Engine) Channels() int { return len(e.channels) }
