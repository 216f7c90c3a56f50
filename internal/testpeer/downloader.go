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

// Downloader is an honest leecher for load tests: it downloads swarms from one seeder
// (Config.Target) one after another, verifying every chunk against the swarm ID with its
// own hash tree and acknowledging it (RFC 7574 §3.4, the ACKs the seeder's LEDBAT needs),
// then closes the channel and starts on the next swarm of its list, round and round. Unlike
// Peer it misbehaves in no way; it is engine-shaped the same way (Start, Handle, Tick,
// NextDeadline) and not safe for concurrent use.
type Downloader struct {
	cfg    DownloaderConfig
	rng    *rand.Rand
	next   int // index into cfg.Swarms of the next download
	cur    *download
	counts DownloadCounts
	// stopped: Stop closed the channel for good; what comes later is counted, not answered.
	stopped bool
}

// DownloaderConfig describes a Downloader.
type DownloaderConfig struct {
	Target netip.AddrPort
	// Swarms are the swarm IDs (root hashes) to download, in turn; they are hashed with
	// ChunkSize and Hash (default 1024 bytes, SHA-1, the daemon's defaults).
	Swarms    [][]byte
	ChunkSize int
	Hash      hashtree.HashFunc
	// HandshakeRetry: an unanswered HANDSHAKE is sent again after it (default 1 s), up to
	// HandshakeAttempts times (default 6, the engine's numbers) before the swarm is given up.
	HandshakeRetry    time.Duration
	HandshakeAttempts int
	// Stall: missing chunks are requested again after this long without a new one (default
	// 2 s, the engine's request timeout); after GiveUp without one (default 15 s) the
	// download is abandoned.
	Stall  time.Duration
	GiveUp time.Duration
	// Seed makes channel IDs and the starting swarm repeatable.
	Seed uint64
}

// DownloadCounts is what a Downloader did.
type DownloadCounts struct {
	Datagrams      int // received from the target
	Foreign        int // received from another address (ignored)
	Stale          int // for a channel of an earlier download (DATA still in flight when we closed it)
	Undecodable    int // the datagram (or its rest) failed to decode
	Handshakes     int // HANDSHAKEs sent to open a channel (retries included)
	Requests       int // REQUEST messages sent
	Rerequests     int // rounds of REQUESTs for missing chunks after a stall
	Acks           int // ACK messages sent
	ChunksVerified int // chunks that verified against the swarm ID
	ChunksFailed   int // chunks that failed verification (a daemon bug if ever non-zero)
	Duplicates     int // chunks received again after they verified
	Unverifiable   int // DATA that came without usable peak hashes before the size was known
	Completed      int // downloads that verified every chunk
	Abandoned      int // downloads given up (no answer, stalled, or closed by the seeder)
	ClosedByPeer   int // channels the seeder closed
	AfterStop      int // received after Stop
}

// download is the swarm being downloaded now.
type download struct {
	root     []byte
	tree     *hashtree.Tree
	ours     wire.ChannelID
	theirs   wire.ChannelID // 0 until the seeder's HANDSHAKE arrives
	ctx      wire.Context
	got      []bool // by chunk, once the size is known
	have     int
	asked    bool // the whole range the seeder announced has been requested once
	haveEnd  uint64
	attempts int
	lastSent time.Time // last HANDSHAKE
	progress time.Time // last new chunk (or the start)
	stalled  time.Time // last re-request round
}

// NewDownloader checks cfg and fills in the defaults.
func NewDownloader(cfg DownloaderConfig) (*Downloader, error) {
	if len(cfg.Swarms) == 0 {
		return nil, errors.New("testpeer: downloader without swarms")
	}
	if !cfg.Target.IsValid() {
		return nil, errors.New("testpeer: downloader without a target")
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = 1024
	}
	if cfg.Hash == 0 {
		cfg.Hash = hashtree.SHA1
	}
	for i, id := range cfg.Swarms {
		if len(id) != cfg.Hash.Size() {
			return nil, fmt.Errorf("testpeer: swarm %d: ID of %d bytes for %v", i, len(id), cfg.Hash)
		}
	}
	if cfg.HandshakeRetry == 0 {
		cfg.HandshakeRetry = time.Second
	}
	if cfg.HandshakeAttempts == 0 {
		cfg.HandshakeAttempts = 6
	}
	if cfg.Stall == 0 {
		cfg.Stall = 2 * time.Second
	}
	if cfg.GiveUp == 0 {
		cfg.GiveUp = 15 * time.Second
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	return &Downloader{cfg: cfg, rng: rng, next: rng.IntN(len(cfg.Swarms))}, nil
}

// Counts returns what the downloader did so far.
func (d *Downloader) Counts() DownloadCounts { return d.counts }

// Start opens the first download.
func (d *Downloader) Start(now time.Time) []Packet {
	if d.cur != nil {
		return nil
	}
	return d.begin(now, nil)
}

// Stop ends the downloading: the channel open now is closed (§8.4) so that the seeder stops
// sending, and from now on datagrams are only counted (AfterStop). A channel whose
// HANDSHAKE is still unanswered is closed when the answer comes.
func (d *Downloader) Stop() []Packet {
	d.stopped = true
	if d.cur == nil || d.cur.theirs == 0 {
		return nil
	}
	out := d.close(nil)
	d.cur = nil
	return out
}

// afterStop counts a datagram that came after Stop and closes the channel it opens, if it
// answers our last HANDSHAKE.
func (d *Downloader) afterStop(b []byte) []Packet {
	d.counts.AfterStop++
	c := d.cur
	if c == nil || len(b) < wire.HeaderLen {
		return nil
	}
	ctx := c.ctx
	dg, _ := wire.DecodeDatagram(b, &ctx)
	if dg.Channel != c.ours || len(dg.Messages) == 0 {
		return nil
	}
	if h, ok := dg.Messages[0].(*wire.Handshake); ok && !h.IsClose() {
		c.theirs = h.Source
		d.cur = nil
		return d.closeChannel(nil, c)
	}
	return nil
}

// begin starts the next swarm of the list: a fresh tree that trusts only the swarm ID and
// a HANDSHAKE to channel 0 (§3.1.1 step 1).
func (d *Downloader) begin(now time.Time, out []Packet) []Packet {
	root := d.cfg.Swarms[d.next]
	d.next = (d.next + 1) % len(d.cfg.Swarms)
	tree, err := hashtree.NewFromRoot(root, hashtree.Params{Hash: d.cfg.Hash, ChunkSize: d.cfg.ChunkSize, Size: -1})
	if err != nil {
		d.cur = nil // cannot happen for IDs NewDownloader checked
		return out
	}
	ctx := wire.DefaultContext()
	ctx.Hash, ctx.ChunkSize = d.cfg.Hash.Wire(), uint32(d.cfg.ChunkSize)
	ours := wire.ChannelID(d.rng.Uint32() | 1)
	if d.cur != nil && ours == d.cur.ours {
		ours ^= 2 // never reuse the last channel: its DATA may still be in flight
	}
	d.cur = &download{root: root, tree: tree, ours: ours, ctx: ctx, progress: now}
	return d.sendHandshake(now, out)
}

func (d *Downloader) sendHandshake(now time.Time, out []Packet) []Packet {
	c := d.cur
	b, err := wire.AppendDatagram(nil, 0, &c.ctx, &wire.Handshake{Source: c.ours, Options: d.options(c.root)})
	if err != nil {
		return out
	}
	c.attempts++
	c.lastSent = now
	d.counts.Handshakes++
	return append(out, Packet{To: d.cfg.Target, Data: b})
}

// options: RFC 7574 form (§7), as Peer sends them.
func (d *Downloader) options(root []byte) wire.Options {
	var o wire.Options
	o.SetVersion(1)
	o.SetMinVersion(1)
	o.SetSwarmID(root)
	o.SetIntegrity(wire.IntegrityMerkle)
	o.SetHash(d.cfg.Hash.Wire())
	o.SetAddressing(wire.ChunkRange32)
	o.SetChunkSize(uint32(d.cfg.ChunkSize))
	return o
}

// Handle takes one received datagram and returns the answers.
func (d *Downloader) Handle(now time.Time, from netip.AddrPort, b []byte) []Packet {
	if from != d.cfg.Target {
		d.counts.Foreign++
		return nil
	}
	d.counts.Datagrams++
	if d.stopped {
		return d.afterStop(b)
	}
	c := d.cur
	if c == nil || len(b) < wire.HeaderLen {
		d.counts.Undecodable++
		return nil
	}
	ctx := c.ctx
	dg, err := wire.DecodeDatagram(b, &ctx)
	if err != nil {
		d.counts.Undecodable++ // the messages before the bad one still count (§3)
	}
	if dg.Channel != c.ours {
		d.counts.Stale++
		return nil
	}
	var out []Packet
	var cands []hashtree.NodeHash
	var acks []wire.Message
	for _, m := range dg.Messages {
		switch m := m.(type) {
		case *wire.Handshake:
			if m.IsClose() {
				d.counts.ClosedByPeer++
				d.counts.Abandoned++
				return d.begin(now, out)
			}
			if c.theirs == 0 {
				c.theirs = m.Source
				if err := c.ctx.Apply(&m.Options); err != nil || c.ctx.Addressing != wire.ChunkRange32 {
					d.counts.Abandoned++
					return d.begin(now, out)
				}
			}
		case *wire.Have:
			c.haveEnd = max(c.haveEnd, m.Spec.End)
			if c.theirs != 0 && !c.asked {
				c.asked = true
				out = d.request(out, []wire.ChunkSpec{wire.RangeSpec(0, c.haveEnd)})
			}
		case *wire.Integrity:
			cands = append(cands, hashtree.NodeHash{Bin: binOf(m.Spec), Hash: m.Hash})
		case *wire.Data:
			acks = d.onData(now, m, cands, acks)
		}
	}
	if len(acks) > 0 {
		if b, err := wire.AppendDatagram(nil, c.theirs, &c.ctx, acks...); err == nil {
			out = append(out, Packet{To: d.cfg.Target, Data: b})
			d.counts.Acks += len(acks)
		}
	}
	if c.got != nil && c.have == len(c.got) {
		d.counts.Completed++
		out = d.close(out)
		return d.begin(now, out)
	}
	return out
}

// onData verifies the chunks of a DATA message and queues their ACKs, with the one-way
// delay sample LEDBAT wants (§8.7; sender and receiver share the clock on loopback).
func (d *Downloader) onData(now time.Time, m *wire.Data, cands []hashtree.NodeHash, acks []wire.Message) []wire.Message {
	c := d.cur
	if c.tree.NumChunks() == 0 {
		// The seeder sends the peak hashes before its first DATA to a peer that holds
		// nothing (§5.6.2); they tell the chunk count.
		if _, err := c.tree.AddPeaksPrefix(cands); err != nil {
			d.counts.Unverifiable++
			return acks
		}
		c.got = make([]bool, c.tree.NumChunks())
	}
	cs := uint64(d.cfg.ChunkSize)
	payload := m.Payload
	for i := m.Spec.Start; i <= m.Spec.End && len(payload) > 0; i++ {
		if i >= uint64(len(c.got)) {
			d.counts.ChunksFailed++
			break
		}
		k := min(uint64(len(payload)), cs)
		chunk := payload[:k]
		payload = payload[k:]
		if c.got[i] {
			d.counts.Duplicates++
			continue
		}
		if err := c.tree.VerifyChunk(i, chunk, cands); err != nil {
			d.counts.ChunksFailed++
			continue
		}
		c.got[i] = true
		c.have++
		c.progress = now
		d.counts.ChunksVerified++
		acks = append(acks, &wire.Ack{Spec: wire.RangeSpec(i, i), Delay: now.UnixMicro() - int64(m.Timestamp)})
	}
	return acks
}

// request sends REQUESTs for specs, as many to a datagram as fit.
func (d *Downloader) request(out []Packet, specs []wire.ChunkSpec) []Packet {
	c := d.cur
	for len(specs) > 0 {
		n := min(len(specs), maxRequestsPerDatagram)
		msgs := make([]wire.Message, n)
		for i, s := range specs[:n] {
			msgs[i] = &wire.Request{Spec: s}
		}
		specs = specs[n:]
		b, err := wire.AppendDatagram(nil, c.theirs, &c.ctx, msgs...)
		if err != nil {
			return out
		}
		d.counts.Requests += n
		out = append(out, Packet{To: d.cfg.Target, Data: b})
	}
	return out
}

// maxRequestsPerDatagram keeps a datagram of REQUESTs (9 bytes each) under 1,000 bytes.
const maxRequestsPerDatagram = 100

// close sends the explicit close, a HANDSHAKE with source channel 0 (§8.4), so that the
// seeder frees the channel at once rather than after its timeout.
func (d *Downloader) close(out []Packet) []Packet { return d.closeChannel(out, d.cur) }

func (d *Downloader) closeChannel(out []Packet, c *download) []Packet {
	if c.theirs == 0 {
		return out
	}
	b, err := wire.AppendDatagram(nil, c.theirs, &c.ctx, &wire.Handshake{Source: 0})
	if err != nil {
		return out
	}
	return append(out, Packet{To: d.cfg.Target, Data: b})
}

// NextDeadline is when Tick should run next.
func (d *Downloader) NextDeadline() time.Time {
	c := d.cur
	switch {
	case c == nil:
		return time.Time{}
	case c.theirs == 0:
		return c.lastSent.Add(d.cfg.HandshakeRetry)
	default:
		return later(c.progress, c.stalled).Add(d.cfg.Stall)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Tick resends an unanswered HANDSHAKE, asks again for missing chunks after a stall, and
// gives a download up when nothing comes.
func (d *Downloader) Tick(now time.Time) []Packet {
	c := d.cur
	if c == nil || now.Before(d.NextDeadline()) {
		return nil
	}
	if c.theirs == 0 {
		if c.attempts >= d.cfg.HandshakeAttempts {
			d.counts.Abandoned++
			return d.begin(now, nil)
		}
		return d.sendHandshake(now, nil)
	}
	if now.Sub(c.progress) >= d.cfg.GiveUp {
		d.counts.Abandoned++
		return d.begin(now, d.close(nil))
	}
	c.stalled = now
	d.counts.Rerequests++
	return d.request(nil, c.missing())
}

// missing lists the runs of chunks not yet verified; everything the seeder announced while
// the size is unknown.
func (c *download) missing() []wire.ChunkSpec {
	if c.got == nil {
		return []wire.ChunkSpec{wire.RangeSpec(0, c.haveEnd)}
	}
	var specs []wire.ChunkSpec
	for i := 0; i < len(c.got); i++ {
		if c.got[i] {
			continue
		}
		j := i
		for j+1 < len(c.got) && !c.got[j+1] {
			j++
		}
		specs = append(specs, wire.RangeSpec(uint64(i), uint64(j)))
		i = j
	}
	return specs
}

// binOf is the tree node an INTEGRITY message names; bins.None (which no check accepts)
// for a range that is no node.
func binOf(s wire.ChunkSpec) bins.Bin {
	b, ok := bins.ChunkRange{Start: s.Start, End: s.End}.Bin()
	if !ok {
		return bins.None
	}
	return b
}
