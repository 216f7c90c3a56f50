package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion"
)

// sendCongestion is how much DATA we may have unacknowledged at the peer. RFC 7574 §3.4
// requires a sender to run LEDBAT (RFC 6817); the flight it measures is the channel's
// unacknowledged DATA (serveState.unacked), passed in, since serving owns that.
type sendCongestion struct {
	// cc is the LEDBAT window; mss is one DATA datagram's size in its accounting.
	cc  *congestion.Ledbat
	mss int
	// flightMark is the unacked DATA after the last flush, and cwndLimited tells whether that
	// flush stopped at LEDBAT's window with requests still queued (see flightBeforeAck).
	flightMark  int
	cwndLimited bool
	lastAck     time.Time // when an ACK last acknowledged DATA: losses without one are a timeout (timers.go)
}

// newSendCongestion starts LEDBAT for a channel of s whose DATA datagrams carry chunks of
// s's size.
func newSendCongestion(s *swarm, now time.Time) sendCongestion {
	sc := sendCongestion{mss: int(s.chunkSize) + dataOverhead}
	cfg := s.congestion
	cfg.MSS = sc.mss
	sc.cc = congestion.New(cfg, now)
	return sc
}

// room is how many more DATA datagrams LEDBAT's window takes with unacked in flight.
func (sc *sendCongestion) room(unacked int) int {
	return (sc.cc.Cwnd() - unacked*sc.mss) / sc.mss
}

// canSend reports whether LEDBAT lets one more DATA go with unacked in flight.
func (sc *sendCongestion) canSend(unacked int) bool {
	return sc.cc.CanSend(unacked * sc.mss)
}

// flightBeforeAck is the flight LEDBAT's growth cap (RFC 6817 §2.4.2: cwnd at most the
// flight before the ACK plus ALLOWED_INCREASE) measures against. A TCP-like sender refills
// its window after every ACK, so the flight before each ACK is the window itself; we refill
// once per flush, after a whole burst of ACKs (a receive batch holds hundreds), so counting
// unacked DATA at each ACK of the burst would hold the window to what the first ACK allowed.
// A sender that filled its window at the last flush is window-limited and the cap does not
// bind; one that ran out of requests is application-limited, and its flight is what it sent.
func (sc *sendCongestion) flightBeforeAck(unacked int) int {
	if sc.cwndLimited {
		return max(unacked*sc.mss, sc.cc.Cwnd())
	}
	return max(unacked, sc.flightMark) * sc.mss
}

// fastWindowRate is the rate (bytes per second) from which a lean channel's DATA still go in
// same-sized datagrams for GSO (send.go, hashthin.go): at 200 Mbit/s and more the system
// calls per datagram cost more than the padding's hashes; below it the padding costs link
// (issue 17: eight hashes in every 1 KiB DATA were a fifth of a 20 Mbit/s link).
const fastWindowRate = 200e6 / 8

// fastWindow tells whether LEDBAT's window moves at least fastWindowRate: the window over
// the smoothed round trip. Before the first RTT sample it is not.
func (sc *sendCongestion) fastWindow() bool {
	srtt := sc.cc.SmoothedRTT()
	return srtt > 0 && float64(sc.cc.Cwnd()) >= fastWindowRate*srtt.Seconds()
}
