package testpeer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Mode is the misbehaviour.
type Mode uint8

// Seeder modes answer a leecher that connects; leecher modes (RequestFlood, HandshakeFlood)
// go after a seeder at Config.Target once Start is called.
const (
	Honest         Mode = iota // serves correctly: the baseline
	CorruptChunk               // flips a byte of the chunk; its hashes are right
	WrongUncles                // flips a byte of every uncle hash sent with the chunk
	WrongPeaks                 // flips a byte of every peak hash sent with the chunk
	FalseHave                  // announces every chunk, but does not send the affected ones
	Silent                     // answers the handshake, then ignores requests for Config.Silence
	OversizeData               // sends Config.Extra bytes past the chunk in its DATA
	TruncatedData              // sends only the first half of the chunk
	Replay                     // sends, with each affected chunk, a datagram it sent earlier
	RequestFlood               // leecher: REQUESTs for the whole content, Config.Burst per Tick
	HandshakeFlood             // leecher: HANDSHAKEs from Config.Burst new source ports per Tick
	numModes
)

var modeNames = [numModes]string{
	"honest", "corrupt-chunk", "wrong-uncles", "wrong-peaks", "false-have", "silent",
	"oversize-data", "truncated-data", "replay", "request-flood", "handshake-flood",
}

func (m Mode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Leecher reports whether the mode attacks a seeder rather than serving a leecher.
func (m Mode) Leecher() bool { return m == RequestFlood || m == HandshakeFlood }

// Config describes the adversary.
type Config struct {
	Mode Mode
	// Persistent: misbehave on every send of an affected chunk (leecher modes: flood every
	// Tick). Otherwise only on the first send (one flood burst), so that a re-request gets
	// the right bytes.
	Persistent bool
	// Every: chunks i with i%Every == 0 are affected; 0 or 1 means all of them. Silent and
	// the floods ignore it.
	Every int
	// Content is what the swarm holds, ChunkSize and Hash how it is hashed (default 1024
	// bytes, SHA-1: what libswift speaks). Seeder modes serve it; leecher modes need its
	// swarm ID.
	Content   []byte
	ChunkSize int
	Hash      hashtree.HashFunc
	// Silence is how long Silent ignores requests after the handshake (default 20 s, the
	// issue's case); a persistent Silent peer never serves.
	Silence time.Duration
	// Extra is how many bytes OversizeData puts past the chunk (default 200).
	Extra int
	// Leecher modes: the seeder attacked, our own address (HandshakeFlood sends from the
	// ports after it), the time between bursts (default 10 ms) and datagrams per burst
	// (default 16).
	Target netip.AddrPort
	Self   netip.AddrPort
	Period time.Duration
	Burst  int
	// Seed makes channel IDs repeatable.
	Seed uint64
}

// Packet is a datagram to send. From is the source address to send it from; the zero value
// means the peer's own address (only HandshakeFlood uses others).
type Packet struct {
	From, To netip.AddrPort
	Data     []byte
}

// Counts is what the peer saw and did, for tests to assert on.
type Counts struct {
	Datagrams       int // received
	Handshakes      int // channels opened to us
	Requests        int // REQUEST messages received
	RequestedChunks int // chunks those REQUESTs named
	DataSent        int // DATA messages sent
	Misbehaved      int // sends (or refusals to send) that misbehaved
	Replayed        int // old datagrams sent again
	DataReceived    int // leecher modes: DATA received
	FloodSent       int // leecher modes: REQUEST or HANDSHAKE datagrams of the flood
}

// Peer is the adversary. It is not safe for concurrent use.
type Peer struct {
	cfg   Config
	tree  *hashtree.Tree
	n     uint64
	rng   *rand.Rand
	conns map[wire.ChannelID]*conn // by our channel ID
	byKey map[connKey]*conn
	sends map[uint64]int // chunk → times asked to send it
	// history holds recent datagrams sent, for Replay.
	history []Packet
	counts  Counts

	// Leecher modes.
	started   bool
	nextFlood time.Time
	floods    int
	attack    *conn
	nextPort  uint16
}

type connKey struct {
	peer   netip.AddrPort
	theirs wire.ChannelID
}

// conn is one channel with a victim.
type conn struct {
	peer   netip.AddrPort
	ours   wire.ChannelID
	theirs wire.ChannelID
	ctx    wire.Context
	opened time.Time
}

// New builds the adversary and hashes its content.
func New(cfg Config) (*Peer, error) {
	if cfg.Mode >= numModes {
		return nil, fmt.Errorf("testpeer: unknown mode %d", cfg.Mode)
	}
	if len(cfg.Content) == 0 {
		return nil, errors.New("testpeer: no content")
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 1024
	}
	if cfg.Hash == 0 {
		cfg.Hash = hashtree.SHA1
	}
	if cfg.Every <= 0 {
		cfg.Every = 1
	}
	if cfg.Silence == 0 {
		cfg.Silence = 20 * time.Second
	}
	if cfg.Extra == 0 {
		cfg.Extra = 200
	}
	if cfg.Period == 0 {
		cfg.Period = 10 * time.Millisecond
	}
	if cfg.Burst == 0 {
		cfg.Burst = 16
	}
	tree, err := hashtree.Build(cfg.Content, cfg.ChunkSize, cfg.Hash)
	if err != nil {
		return nil, fmt.Errorf("testpeer: hash content: %w", err)
	}
	return &Peer{
		cfg:   cfg,
		tree:  tree,
		n:     tree.NumChunks(),
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5bd1e995)),
		conns: make(map[wire.ChannelID]*conn),
		byKey: make(map[connKey]*conn),
		sends: make(map[uint64]int),
	}, nil
}

// SwarmID is the content's root hash.
func (p *Peer) SwarmID() []byte { return p.tree.Root() }

// Counts returns what the peer saw and did so far.
func (p *Peer) Counts() Counts { return p.counts }

// Handle takes one received datagram and returns the answers.
func (p *Peer) Handle(now time.Time, from netip.AddrPort, b []byte) []Packet {
	p.counts.Datagrams++
	if len(b) < wire.HeaderLen {
		return nil
	}
	dg, err := wire.DecodeDatagram(b, p.contextFor(b, from))
	if len(dg.Messages) == 0 && err != nil {
		return nil // garbage: an adversary need not be polite about it
	}
	if dg.Channel == 0 {
		return p.onHandshake(now, from, dg)
	}
	c := p.conns[dg.Channel]
	if c == nil || c.peer != from {
		return nil
	}
	var out []Packet
	for _, m := range dg.Messages {
		switch m := m.(type) {
		case *wire.Handshake:
			if m.IsClose() {
				p.closeConn(c)
				return out
			}
			if c == p.attack && c.theirs == 0 {
				c.theirs = m.Source // the seeder answered our flood's handshake
			}
		case *wire.Request:
			out = p.onRequest(now, c, m.Spec, out)
		case *wire.Data:
			p.counts.DataReceived++
		}
	}
	return out
}

// contextFor returns the decoding context for a datagram: the channel's, or the RFC
// defaults with our hash for a HANDSHAKE to channel 0.
func (p *Peer) contextFor(b []byte, from netip.AddrPort) *wire.Context {
	id := wire.ChannelID(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	if c := p.conns[id]; c != nil && c.peer == from {
		ctx := c.ctx
		return &ctx
	}
	ctx := p.baseContext()
	return &ctx
}

func (p *Peer) baseContext() wire.Context {
	ctx := wire.DefaultContext()
	ctx.Hash = p.cfg.Hash.Wire()
	ctx.ChunkSize = uint32(p.cfg.ChunkSize)
	return ctx
}

// options are our HANDSHAKE options: RFC 7574 form with the chunk size (§7.11).
func (p *Peer) options() wire.Options {
	var o wire.Options
	o.SetVersion(1)
	o.SetMinVersion(1)
	o.SetSwarmID(p.tree.Root())
	o.SetIntegrity(wire.IntegrityMerkle)
	o.SetHash(p.cfg.Hash.Wire())
	o.SetAddressing(wire.ChunkRange32)
	o.SetChunkSize(uint32(p.cfg.ChunkSize))
	return o
}

func (p *Peer) newChannelID() wire.ChannelID {
	for {
		id := wire.ChannelID(p.rng.Uint32())
		if _, used := p.conns[id]; id != 0 && !used {
			return id
		}
	}
}

func (p *Peer) closeConn(c *conn) {
	delete(p.conns, c.ours)
	delete(p.byKey, connKey{c.peer, c.theirs})
	if c == p.attack {
		p.attack = nil
	}
}

// affected: chunk i is one the peer misbehaves on, at this send.
func (p *Peer) affected(i uint64, first bool) bool {
	return i%uint64(p.cfg.Every) == 0 && (p.cfg.Persistent || first)
}

// send queues b to c's peer and remembers it for Replay.
func (p *Peer) send(out []Packet, to netip.AddrPort, b []byte) []Packet {
	pkt := Packet{To: to, Data: b}
	p.history = append(p.history, pkt)
	if len(p.history) > replayDepth*4 {
		p.history = append(p.history[:0], p.history[len(p.history)-replayDepth:]...)
	}
	return append(out, pkt)
}

// replayDepth: Replay sends the datagram sent this many datagrams before.
const replayDepth = 8

// chunkRange turns a chunk-range spec into chunks, clipped to the content; false if it
// names none.
func (p *Peer) chunkRange(s wire.ChunkSpec) (bins.ChunkRange, bool) {
	r := bins.ChunkRange{Start: s.Start, End: s.End}
	if r.Start > r.End || r.Start >= p.n {
		return r, false
	}
	r.End = min(r.End, p.n-1)
	return r, true
}
