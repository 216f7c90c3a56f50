package engine

import (
	"math/rand/v2"
	"time"

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
	// MaxBadChunks: a peer whose chunks fail verification this often is disconnected.
	MaxBadChunks int
	// MaxBadDatagrams: a peer that sends this many undecodable datagrams is disconnected (§3).
	MaxBadDatagrams int
	// MaxTimeouts: a peer whose requests time out in this many rounds (each RequestTimeout
	// long) without delivering a chunk in between (slow, gone, or lying in its HAVEs) is
	// disconnected.
	MaxTimeouts int
	// MaxIgnoredChokes: a choked peer that keeps requesting this often is disconnected.
	MaxIgnoredChokes int
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
		MaxBadChunks:      3,
		MaxBadDatagrams:   3,
		MaxTimeouts:       6,
		MaxIgnoredChokes:  16,
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
	setDefault(&c.MaxBadChunks, d.MaxBadChunks)
	setDefault(&c.MaxBadDatagrams, d.MaxBadDatagrams)
	setDefault(&c.MaxTimeouts, d.MaxTimeouts)
	setDefault(&c.MaxIgnoredChokes, d.MaxIgnoredChokes)
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
