package live

import "github.com/ppsppd/ppsppd/internal/wire"

// Window is a live discard window in chunks (RFC 7574 §6.2, §7.9): a peer keeps, serves and
// accepts only the last Window chunks before the live edge. Zero means no limit, which is
// what libswift announces (option 7 all ones) unless started with -W.
type Window uint64

// Unlimited keeps every chunk.
const Unlimited Window = 0

// WindowFromOption reads option 7's value, whose width follows chunk addressing a (§7.9);
// all ones in that width means no limit.
func WindowFromOption(v uint64, a wire.Addressing) Window {
	if a.WindowSize() == 4 && v >= 0xffffffff || v == wire.KeepAll {
		return Unlimited
	}
	return Window(v)
}

// Option is the value to send in option 7 for addressing a: the window, or wire.KeepAll
// (all ones in the option's width) when there is no limit or the window does not fit.
func (w Window) Option(a wire.Addressing) uint64 {
	if w == Unlimited || a.WindowSize() == 4 && w >= 0xffffffff {
		return wire.KeepAll
	}
	return uint64(w)
}

// Oldest is the first chunk the window keeps when edge is the newest chunk.
func (w Window) Oldest(edge uint64) uint64 {
	if w == Unlimited || edge < uint64(w) {
		return 0
	}
	return edge - uint64(w) + 1
}

// Keeps reports whether chunk lies inside the window ending at edge. Chunks past the edge
// are inside: they are the future of the stream.
func (w Window) Keeps(edge, chunk uint64) bool { return chunk >= w.Oldest(edge) }
