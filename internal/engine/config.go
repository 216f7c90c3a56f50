package engine

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Config tunes an Engine. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Rand picks channel IDs and breaks picker ties; seed it for repeatable runs.
	Rand *rand.Rand
	// MaxDatagram bounds a datagram's UDP payload: 1500-byte Ethernet minus IPv4 and UDP
	// headers, as libswift does. A DATA datagram for a larger chunk is as big as it must be.
	MaxDatagram int
	// Window caps the DATA datagrams one channel may have unacknowledged; within it LEDBAT
	// (RFC 6817) decides.
	Window int
	// Congestion configures every channel's sender (congestion.Config; its MSS is set per
	// channel from the chunk size). The zero value is LEDBAT++ with the package's defaults;
	// Variant: congestion.RFC6817 gives plain RFC 6817 LEDBAT.
	Congestion congestion.Config
	// RequestWindow caps how many chunks we keep requested from one peer at a time; within
	// it the limit adapts to how fast the peer delivers (channel.adaptRequests).
	RequestWindow int
	// HandshakeRetry is the wait before resending an unanswered HANDSHAKE (RFC 7574 §3.1.1
	// step 5); HandshakeAttempts is how many we send before giving the peer up.
	HandshakeRetry    time.Duration
	HandshakeAttempts int
	// RequestTimeout: a requested chunk that has not arrived by then is asked for again,
	// preferably from another peer.
	RequestTimeout time.Duration
	// MinDataTimeout: unacknowledged DATA counts as lost after LEDBAT's congestion timeout,
	// but never sooner than this (delayed ACKs are allowed, RFC 7574 §3.4).
	MinDataTimeout time.Duration
	// KeepAlive is the idle time after which a channel gets a keep-alive (§3.12); libswift
	// closes channels silent for 60 s, so this must stay well below that.
	KeepAlive time.Duration
	// ChannelTimeout closes a channel that has been silent this long (§3.12 suggests 3 min).
	ChannelTimeout time.Duration
	// Peer policy (peerscore.go has it all). Offences (bad chunks, bad datagrams, ignored
	// chokes, ...) add their weight to a peer's score, good chunks take one point off, down
	// to -MaxCredit, and the score halves every ScoreHalfLife. At DisconnectScore the peer
	// is disconnected and banned from the swarm for BanTime, doubled per repeat up to
	// MaxBanTime. Defaults: 8, 64, 5 min, 30 s, 1 h.
	DisconnectScore float64
	MaxCredit       float64
	ScoreHalfLife   time.Duration
	BanTime         time.Duration
	MaxBanTime      time.Duration
	// MaxTimeouts: a peer whose requests time out in this many rounds without delivering a
	// chunk in between (slow, gone, or lying in its HAVEs) is disconnected, but only while
	// another peer could serve us; the only source is paused instead, RequestTimeout doubled
	// per round up to MaxRequestBackoff, and asked again until ChannelTimeout.
	MaxTimeouts       int
	MaxRequestBackoff time.Duration
	// MaxChannelsPerIP bounds the channels of one swarm with peers at one IP address, so a
	// flood of HANDSHAKEs from many source ports cannot take every upload slot.
	MaxChannelsPerIP int
	// MaxPeers bounds the channels of one swarm; PEX connects to new peers up to it.
	MaxPeers int
	// MaxQueued bounds the chunks a peer may have requested from us and not yet received.
	MaxQueued int
	// MaxUploads is how many peers of a swarm we serve at once; others are choked (§3.9).
	MaxUploads int
	// UncleMode chooses how far up INTEGRITY goes; ToPeak is what libswift expects.
	UncleMode hashtree.Mode
	// Transmit, when set, takes datagrams while a flush is still making them, TransmitBatch
	// at a time, so that the peer can work on the first ones while we make the rest (a
	// window of DATA is thousands of datagrams). Transmit must be done with the datagrams'
	// bytes when it returns: the engine reuses the buffers. What is left at the end of a
	// call is returned by Outgoing as without Transmit.
	Transmit      func([]Packet)
	TransmitBatch int
	// UnknownSwarm, when set, is told of a HANDSHAKE that opens a channel (§3.1.1) for a
	// swarm the engine does not hold, with the datagram, which it must copy to keep: the
	// caller may hold the swarm unloaded and add it, then hand the datagram in again
	// (coldswarm.go). It runs on the engine's goroutine and must not block.
	UnknownSwarm func(id SwarmID, from netip.AddrPort, datagram []byte)
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		MaxDatagram:       1500 - 20 - 8,
		Window:            4096,
		RequestWindow:     4096,
		HandshakeRetry:    time.Second,
		HandshakeAttempts: 6,
		RequestTimeout:    2 * time.Second,
		MinDataTimeout:    200 * time.Millisecond,
		KeepAlive:         20 * time.Second,
		ChannelTimeout:    3 * time.Minute,
		DisconnectScore:   8,
		MaxCredit:         64,
		ScoreHalfLife:     5 * time.Minute,
		BanTime:           30 * time.Second,
		MaxBanTime:        time.Hour,
		MaxTimeouts:       6,
		MaxRequestBackoff: 8 * time.Second,
		MaxChannelsPerIP:  16,
		MaxPeers:          32,
		MaxQueued:         4096,
		MaxUploads:        64,
		UncleMode:         hashtree.ToPeak,
		TransmitBatch:     64,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	setDefault(&c.MaxDatagram, d.MaxDatagram)
	setDefault(&c.Window, d.Window)
	setDefault(&c.RequestWindow, d.RequestWindow)
	setDefault(&c.HandshakeRetry, d.HandshakeRetry)
	setDefault(&c.HandshakeAttempts, d.HandshakeAttempts)
	setDefault(&c.RequestTimeout, d.RequestTimeout)
	setDefault(&c.MinDataTimeout, d.MinDataTimeout)
	setDefault(&c.KeepAlive, d.KeepAlive)
	setDefault(&c.ChannelTimeout, d.ChannelTimeout)
	setDefault(&c.DisconnectScore, d.DisconnectScore)
	setDefault(&c.MaxCredit, d.MaxCredit)
	setDefault(&c.ScoreHalfLife, d.ScoreHalfLife)
	setDefault(&c.BanTime, d.BanTime)
	setDefault(&c.MaxBanTime, d.MaxBanTime)
	setDefault(&c.MaxTimeouts, d.MaxTimeouts)
	setDefault(&c.MaxRequestBackoff, d.MaxRequestBackoff)
	setDefault(&c.MaxChannelsPerIP, d.MaxChannelsPerIP)
	setDefault(&c.MaxPeers, d.MaxPeers)
	setDefault(&c.MaxQueued, d.MaxQueued)
	setDefault(&c.MaxUploads, d.MaxUploads)
	setDefault(&c.TransmitBatch, d.TransmitBatch)
	return c
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}
