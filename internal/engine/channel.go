package engine

import (
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/hashtree"
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
// per-peer protocol state.
type channel struct {
	local  wire.ChannelID // the ID the peer sends to
	remote wire.ChannelID // the ID we send to; 0 until its HANDSHAKE arrives
	peer   netip.AddrPort
	swarm  *swarm
	ctx    wire.Context
	state  channelState
	// compat: talk to this peer in the form libswift accepts (no chunk-size option).
	compat bool
	// confirmed: the peer has sent on our channel ID, completing the three-way handshake;
	// only then may we send heavy payload (RFC 7574 §3.1.1 step 7).
	confirmed bool
	// peerOpts is what the peer's HANDSHAKE announced; it tells which messages it supports.
	peerOpts wire.Options
	// replyDue: our answer to the peer's HANDSHAKE goes out with the next flush.
	replyDue bool
	dirty    bool // in Engine.dirty

	created, lastRecv, lastSend time.Time
	hsAttempts                  int
	hsNext                      time.Time

	// What the peer has: from its HAVEs (and ACKs of what we sent).
	peerHave   bitmap
	earlyHaves []bins.ChunkRange // HAVEs that came before we knew the content size
	seeder     bool              // the peer announced every chunk

	// Leecher side: hashes received in INTEGRITY messages, candidates until a chunk verifies
	// through them. Copied out of the datagram, since the decoder's slices alias it.
	cands     []hashtree.NodeHash
	candBytes []byte
	requested int // chunks we have outstanding at this peer
	// reqOrder lists our requests to this peer in the order sent, which is the order it
	// serves them; reqSeq numbers them. See detectLosses.
	reqOrder []requestedChunk
	reqSeq   uint64
	// reorderLost holds the chunks detectLosses took for lost at this peer and that have
	// not arrived from it since: the next time they are left to RequestTimeout.
	reorderLost map[uint64]struct{}
	// reqLimit is how many chunks we keep requested at this peer: enough to keep its sender
	// busy, few enough that they do not wait long in its queue (see adaptRequests).
	reqLimit   float64
	minLatency time.Duration // shortest request-to-DATA time seen recently
	minSince   time.Time     // when minLatency was last reset
	lastShrink time.Time
	// extra holds endgame requests: chunks also requested from another peer.
	extra       map[uint64]time.Time
	timeouts    int       // request-timeout rounds in a row without a chunk in between
	lastTimeout time.Time // start of the last counted round
	choked      bool

	// Seeder side: chunks the peer asked for, in order, and DATA not yet acknowledged.
	queue   []bins.ChunkRange
	queued  uint64
	lastReq bins.ChunkRange // the last REQUEST queued, to count repeats
	unacked map[uint64]time.Time
	// flightMark is len(unacked) after the last flush, and cwndLimited tells whether that
	// flush stopped at LEDBAT's window with requests still queued (see flightBeforeAck).
	flightMark  int
	cwndLimited bool
	// cc is LEDBAT (RFC 6817), which RFC 7574 requires of a sender: it decides how much DATA
	// may be unacknowledged. mss is one DATA datagram's size in its accounting.
	cc      *congestion.Ledbat
	mss     int
	lastAck time.Time
	weChoke bool

	// Peer policy (peerscore.go): the score offences raise and good chunks lower, as of
	// scoreAt; good and bad chunks so far; probation after a ban; requests paused after
	// timeouts.
	score       float64
	scoreAt     time.Time
	goodChunks  int
	badChunks   int
	misfits     int // bad chunks that could not be their chunk at all (peerscore.go)
	lastMisfits int // those of misfits that were for the content's last chunk
	// lastMissing is the uncle whose absence made the last DATA unverifiable, and
	// missingRepeats how many DATA in a row failed for it (see missingHashOffence).
	lastMissing    bins.Bin
	missingRepeats int
	probation      bool
	pausedUntil    time.Time

	sent      sentHashes // uncle hashes recently sent to the peer
	hashFloor int        // the fewest hashes a DATA datagram carries in this flush (keptHashes)

	// Outgoing control messages, encoded and waiting for the next flush.
	ctrl     []byte
	ctrlEnds []int

	traffic traffic   // bytes sent and received (traffic.go)
	rate    rateState // its part in the rate limits (ratelimit.go)
}

func newChannel(local wire.ChannelID, peer netip.AddrPort, s *swarm, now time.Time) *channel {
	ch := &channel{
		local:       local,
		peer:        peer,
		swarm:       s,
		created:     now,
		lastRecv:    now,
		lastSend:    now,
		unacked:     make(map[uint64]time.Time),
		extra:       make(map[uint64]time.Time),
		reorderLost: make(map[uint64]struct{}),
		lastMissing: bins.None,
	}
	ch.mss = int(s.chunkSize) + dataOverhead
	cc := s.congestion
	cc.MSS = ch.mss
	ch.cc = congestion.New(cc, now)
	ch.ctx = wire.DefaultContext()
	ch.ctx.Addressing, ch.ctx.Hash, ch.ctx.ChunkSize = s.addressing, s.hash, s.chunkSize
	ch.ctx.SwarmID = []byte(s.id)
	if s.n > 0 {
		ch.peerHave = newBitmap(s.n)
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
	ch.ctrl = b
	ch.ctrlEnds = append(ch.ctrlEnds, len(b))
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
	ch.ctrl = b
	ch.ctrlEnds = append(ch.ctrlEnds, len(b))
}

// HasAny reports whether the peer announced any chunk of r; hashtree uses it to leave out
// hashes the peer already holds.
func (ch *channel) HasAny(r bins.ChunkRange) bool {
	return ch.peerHave.anySet(r)
}

// treePeer describes the peer's hashes for hashtree.Uncles: what its HAVEs and ACKs show it
// verified. Of those uncles, sentHashes.thin then leaves out what we recently sent.
func (ch *channel) treePeer() hashtree.Peer {
	p := hashtree.Peer{}
	if ch.peerHave.count > 0 {
		p.Have = ch
	}
	return p
}

// hashCopies is how many datagrams carry an uncle hash before the hash counts as held by
// the peer: with one, a single lost datagram would leave every later chunk under the same
// uncle unverifiable until the loss is detected; with two, both must be lost.
const hashCopies = 2

// sentHashes is the short memory of §5.3's option to skip hashes already sent and not yet
// acknowledged. A window of DATA is thousands of chunks, all sent before the first of them
// is acknowledged; the chunks under one tree node all need that node's sibling, so judging
// by ACKs alone sends the same hashes with nearly every chunk (a third more bytes than the
// content on loopback). Per layer it remembers the last uncle sent and in how many
// datagrams; a hash sent hashCopies times counts as held, until a DATA is lost (then all
// is forgotten, since the lost datagram may have carried hashes later chunks rely on). Chunks
// are mostly sent in order, so one uncle per layer is what matters.
type sentHashes struct {
	last [bins.MaxLayer + 1]sentHash
}

type sentHash struct {
	bin    bins.Bin
	copies uint8 // datagrams it went out in, up to hashCopies
}

// Knows implements hashtree.Known.
func (s *sentHashes) Knows(b bins.Bin) bool {
	l := b.Layer()
	return l < uint(len(s.last)) && s.last[l].bin == b && s.last[l].copies >= hashCopies
}

// note records that the hash of b goes out in one more datagram.
func (s *sentHashes) note(b bins.Bin) {
	l := b.Layer()
	if l >= uint(len(s.last)) {
		return
	}
	if e := &s.last[l]; e.bin == b && e.copies > 0 {
		e.copies = min(e.copies+1, hashCopies)
	} else {
		*e = sentHash{bin: b, copies: 1}
	}
}

// datagramHashes is how many hashes a DATA datagram has room for besides its chunk: what
// dataOverhead counts, and what a chunk too big for MaxDatagram takes along (send.go).
const datagramHashes = 8

// How many hashes a DATA datagram carries at least when there are that many the peer has
// not acknowledged (hashes that sentHashes would leave out fill the room): in order, a chunk
// needs about three that are not yet known (its sibling's, and its share of those above, each
// sent hashCopies times), and a floor of keptHashes costs nothing beyond them. When a flush
// has room for gsoBurst datagrams or more the floor is datagramHashes instead: then nearly all
// of them have the same size, go out in one GSO send and arrive in one GRO read (ppsppd bench
// on loopback: a fifth less CPU per GiB than with the low floor). On a slow link the window
// frees a datagram or two at a time, batches are short anyway, and with 1 KiB chunks eight
// hashes in every datagram were a fifth of the link (issue 17: ppsppd alone moved 80 % of
// it; with the low floor, 86 %).
const (
	keptHashes = 2
	gsoBurst   = 4
)

// thin leaves out of uncles (highest layer first, as hashtree.Uncles orders them) the hashes
// recently sent twice, but keeps up to floor of them, the lowest layers first, and records
// what stays as sent. It works in place.
func (s *sentHashes) thin(uncles []hashtree.NodeHash, floor int) []hashtree.NodeHash {
	const maxKeep = 64 + bins.MaxLayer + 1
	if len(uncles) <= floor || len(uncles) > maxKeep {
		for _, u := range uncles {
			s.note(u.Bin)
		}
		return uncles
	}
	var keep [maxKeep]bool
	kept := 0
	for k, u := range uncles {
		if !s.Knows(u.Bin) {
			keep[k] = true
			kept++
		}
	}
	for k := len(uncles) - 1; k >= 0 && kept < floor; k-- {
		if !keep[k] {
			keep[k] = true
			kept++
		}
	}
	out := uncles[:0]
	for k, u := range uncles {
		if keep[k] {
			s.note(u.Bin)
			out = append(out, u)
		}
	}
	return out
}

// isUnacked reports whether chunk i went out to the peer and is not acknowledged yet.
func (ch *channel) isUnacked(i uint64) bool {
	_, ok := ch.unacked[i]
	return ok
}

// forget drops the memory, after a loss.
func (s *sentHashes) forget() { *s = sentHashes{} }

// addCandidate keeps an INTEGRITY hash until a DATA uses it. The list is bounded: a peer
// cannot make us hold more than a tree's height of hashes per chunk plus the peaks.
func (ch *channel) addCandidate(b bins.Bin, h []byte) {
	const maxCands = 256
	if len(ch.cands) >= maxCands {
		ch.clearCandidates()
	}
	off := len(ch.candBytes)
	ch.candBytes = append(ch.candBytes, h...)
	ch.cands = append(ch.cands, hashtree.NodeHash{Bin: b, Hash: ch.candBytes[off : off+len(h) : off+len(h)]})
}

func (ch *channel) clearCandidates() {
	ch.cands = ch.cands[:0]
	ch.candBytes = ch.candBytes[:0]
}

// Request pipelining. A request that waits in the peer's queue only adds latency (bad for
// streaming: the chunk the player needs queues behind others) and gets re-asked on timeout.
// So the number of chunks we keep requested at a peer follows what its sender (paced by its
// LEDBAT window) delivers: while a chunk comes back within about twice the shortest
// request-to-DATA time, the limit grows by one per chunk (doubling per round trip, like the
// sender's slow start); when chunks take much longer, requests are queueing, and the limit
// shrinks by a quarter, at most once per shortest latency.
const (
	minRequestLimit  = 8
	initRequestLimit = 32
	latencyWindow    = 10 * time.Second // minLatency is re-learned this often
)

func (ch *channel) requestLimit() int {
	if ch.reqLimit == 0 {
		return initRequestLimit
	}
	return int(ch.reqLimit)
}

func (ch *channel) adaptRequests(now time.Time, latency time.Duration, max int) {
	if ch.reqLimit == 0 {
		ch.reqLimit = initRequestLimit
	}
	if ch.minLatency == 0 || latency < ch.minLatency || now.Sub(ch.minSince) > latencyWindow {
		ch.minLatency, ch.minSince = latency, now
	}
	switch {
	case latency <= 2*ch.minLatency+5*time.Millisecond:
		ch.reqLimit = min(ch.reqLimit+1, float64(max))
	case latency > 4*ch.minLatency+20*time.Millisecond && now.Sub(ch.lastShrink) > ch.minLatency:
		ch.reqLimit = maxf(ch.reqLimit*3/4, minRequestLimit)
		ch.lastShrink = now
	}
}

// flightBeforeAck is the flight LEDBAT's growth cap (RFC 6817 §2.4.2: cwnd at most the
// flight before the ACK plus ALLOWED_INCREASE) measures against. A TCP-like sender refills
// its window after every ACK, so the flight before each ACK is the window itself; we refill
// once per flush, after a whole burst of ACKs (a receive batch holds hundreds), so counting
// unacked DATA at each ACK of the burst would hold the window to what the first ACK allowed.
// A sender that filled its window at the last flush is window-limited and the cap does not
// bind; one that ran out of requests is application-limited, and its flight is what it sent.
func (ch *channel) flightBeforeAck() int {
	if ch.cwndLimited {
		return max(len(ch.unacked)*ch.mss, ch.cc.Cwnd())
	}
	return max(len(ch.unacked), ch.flightMark) * ch.mss
}

type requestedChunk struct {
	chunk, seq uint64
}

// lossReorder is how many chunks requested later must arrive before an outstanding one is
// taken for lost, in the spirit of TCP's duplicate-ACK threshold (RFC 5681 §3.2) but higher:
// a paced sender's datagrams jittered by a few milliseconds on a slow link overtake each
// other by several places (the picker's simulation has that), and a spurious loss costs a
// duplicate chunk on that link.
const lossReorder = 8

// detectLosses runs when the chunk with request number seq arrived from ch. A peer serves
// requests in order (RFC 7574 §3.7), so chunks requested well before it and still missing
// were lost on the way (the REQUEST or the DATA): they are asked for again at once, instead
// of after RequestTimeout. The peer is not blamed: loss is the path's doing.
//
// Only once per chunk and peer, until the chunk arrives from it: a chunk asked for again
// and overtaken again is more likely withheld than lost twice (a peer whose HAVEs lie, issue
// 13), and on a path with a short round trip each chunk the peer does serve would overtake
// it once more, every time asking the liar again. The second time it is left to
// RequestTimeout, which pauses and avoids peers that do not deliver; a path that does lose
// the resent request costs one timeout, as a lost retransmission costs TCP one (RFC 5681 §3.2).
func (e *Engine) detectLosses(ch *channel, seq uint64) {
	s := ch.swarm
	k := 0
	for ; k < len(ch.reqOrder); k++ {
		r := ch.reqOrder[k]
		if r.seq+lossReorder > seq {
			break // this one and all after it are too recent to call lost
		}
		if !s.pendingBits.has(r.chunk) {
			continue // arrived or released: no map lookup for the common case
		}
		p, ok := s.pending[r.chunk]
		if !ok || p.ch != ch || p.seq != r.seq {
			continue // asked for again since
		}
		if _, again := ch.reorderLost[r.chunk]; again {
			continue // left to RequestTimeout
		}
		ch.reorderLost[r.chunk] = struct{}{}
		s.unpend(r.chunk)
		ch.requested--
		e.stats.RequestsLost++
		e.markDirty(ch)
	}
	// Reslicing walks along the array; append moves what is left to a new one when it
	// runs out, so each entry is copied a constant number of times on average.
	ch.reqOrder = ch.reqOrder[k:]
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
