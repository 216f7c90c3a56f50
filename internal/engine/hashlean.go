package engine

import (
	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Lean hashes: on a path that loses nothing, a DATA carries only the hashes its peer cannot
// work out from the DATA sent before it (RFC 7574 §5.3 lets the sender judge what the
// receiver has; it need not wait for the ACKs).
//
// A receiver that verified a chunk holds every hash on its way to the peak (§5.2): its own,
// and the uncles it came with. So when chunks go out in order and arrive in order, the chunks
// under a tree node's parent that were sent before are as good as acknowledged: a chunk in
// order then needs one new hash on average (the right sibling of each subtree it opens),
// where sentHashes' two copies of every uncle, and the sibling of every odd chunk, came to
// 2.3 (issue 17: 1 KiB chunks on a 20 Mbit/s link moved 1.11 wire bytes per content byte;
// with lean hashes 1.08, and TCP alone moves 1.05).
//
// The price is robustness: one lost or overtaken DATA leaves the chunks sent after it that
// lean on it unverifiable (the receiver drops them and asks again at once, a REQUEST for
// unacknowledged DATA that makes the seeder forget; a round trip of DATA is lost). So a
// channel goes lean only after leanStart DATA in a row without a loss, and every loss that
// strikes it lean doubles how many it must send cleanly before the next time (up to leanMax),
// so on a path that loses now and then the stranded windows grow rarer and rarer, and one
// that loses a datagram in a hundred (a run of 1024 clean ones: one chance in 30,000) keeps
// sentHashes' two copies. Only flushes with the low hash floor go lean: the GSO-sized ones of
// a fast window keep every datagram the same size (hashthin.go).
const (
	leanStart = 1 << 10
	leanMax   = 1 << 20
)

// leanHashes is one channel's lean state: how long it has been clean, the run of chunks sent
// in order since (the chunks the peer is taken to hold), and the peer's HAVEs and ACKs,
// which it answers HasAny for together with that run.
type leanHashes struct {
	clean     uint64 // DATA sent since the last loss
	threshold uint64 // DATA to send cleanly before going lean; 0 means leanStart
	run       bins.ChunkRange
	inRun     bool
	have      hashtree.HaveSet
}

func (l *leanHashes) needed() uint64 { return max(l.threshold, leanStart) }

// active tells whether the chunks sent count as held.
func (l *leanHashes) active() bool { return l.clean >= l.needed() }

// lost returns the state after a loss: nothing sent counts as held, the clean count starts
// again, and a loss that came while lean doubles the count needed next time.
func (l *leanHashes) lost() leanHashes {
	next := leanHashes{threshold: l.threshold}
	if l.active() {
		next.threshold = min(2*l.needed(), leanMax)
	}
	return next
}

// sentBefore tells whether chunk i is in the run of chunks sent (see resending).
func (l *leanHashes) sentBefore(i uint64) bool {
	return l.inRun && i >= l.run.Start && i <= l.run.End
}

// resending is told of every chunk i about to be served. When the channel is lean and i was
// sent before in the run, the peer asks again for it: it was lost or could not be verified,
// whatever the REQUEST looked like (onRequest forgets only when its first or last chunk is
// unacknowledged), so what we took the peer to hold may be wrong, and all is forgotten, as
// after a loss.
func (s *sentHashes) resending(i uint64) {
	if s.lean.active() && s.lean.sentBefore(i) {
		s.forget()
	}
}

// sent records that chunk i went out in a DATA with the hashes it needed.
func (l *leanHashes) sent(i uint64) {
	l.clean++
	switch {
	case l.inRun && i == l.run.End+1:
		l.run.End = i
	case l.sentBefore(i):
		// Sent again while not lean (when lean, resending forgot first): already in.
	default:
		// Out of order: a new run. The old one is only forgotten, which costs hashes,
		// never verification; the peer's ACKs cover it soon.
		l.run, l.inRun = bins.ChunkRange{Start: i, End: i}, true
	}
}

// HasAny implements hashtree.HaveSet: the peer announced or acknowledged a chunk of r, or
// we sent one in the current run.
func (l *leanHashes) HasAny(r bins.ChunkRange) bool {
	if l.inRun && r.Start <= l.run.End && r.End >= l.run.Start {
		return true
	}
	return l.have != nil && l.have.HasAny(r)
}

// peer returns p with the run of chunks sent counted among what it holds, when the channel
// is lean and the peer holds anything at all (then it has the peaks, §5.6.2: a peer that
// holds nothing gets them, and its first chunks, as before).
func (l *leanHashes) peer(p hashtree.Peer) hashtree.Peer {
	if !l.active() || p.Have == nil {
		return p
	}
	l.have = p.Have
	p.Have = l
	return p
}
