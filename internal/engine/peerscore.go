package engine

import (
	"errors"
	"maps"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Peer policy: what misbehaviour costs a peer, and when we stop talking to it. Every
// handler that sees a peer misbehave reports an offence here; nothing else closes a channel
// for misbehaviour, so the policy can be read, tuned and tested in this one file.
//
// The aim (issue 13): never store a wrong byte, never storm a liar with requests, and still
// finish when the only seeder errs now and then. So:
//
//   - A bad chunk is discarded and asked for again, preferably elsewhere (chunkFailed); from
//     a peer that is the only source, at once the first time and with a growing pause after
//     that, so that a peer lying about one chunk gets a few requests a minute for it, not a
//     storm.
//   - Each offence adds its weight to the channel's score; each verified chunk from the
//     peer takes one point off (credit, bounded by MaxCredit); the score decays toward 0
//     with ScoreHalfLife. A peer is disconnected when the score reaches DisconnectScore:
//     it sent mostly bad data lately (eight bad chunks more than good ones, by default), or
//     proved itself a liar (peak hashes that do not hash to the swarm ID weigh half the
//     limit). A peer too slow for the score to reach the limit is disconnected when, over
//     its channel's life, it sent at least DisconnectScore bad chunks and more than three
//     bad ones per good one (mostlyBad).
//   - A DATA that cannot be its chunk at all (a misfit: shorter than the chunk, longer with
//     a chunk cut from it that fails, or with peak hashes for another chunk count) shows
//     that the peer's swarm has another shape than ours: another chunk size or content
//     length. Ours may be the wrong one (a user's --chunk-size or --size), but either way no
//     chunk from that peer will ever verify. A misfit weighs like a bad chunk, and a peer
//     that sent misfitLimit (3) of them and not one good chunk is disconnected at once (issue
//     16): its chunks would only come slower and slower, since we acknowledge none and its
//     congestion timeout doubles (1 s, 2 s, 4 s, ...), and the score would take a minute to
//     reach the limit. A peer that errs now and then has sent good chunks in between.
//     With a wrong content length that gives the same chunk count, only the last chunk
//     misfits: misfitLimit misfits of the last chunk disconnect too.
//   - A disconnected peer is banned, per swarm and address, for BanTime, doubled for each
//     repeat up to MaxBanTime. Its handshakes are not answered meanwhile, and we do not
//     connect to it.
//   - A peer that stops answering is not dead: its requests time out, and from the second
//     round in a row it is paused with a backoff (RequestTimeout doubled per round, up to
//     MaxRequestBackoff), then asked for a few chunks again, until ChannelTimeout closes
//     the channel (§3.12). Only when another peer could serve us is it given up after
//     MaxTimeouts rounds (and banned, as a peer whose HAVEs lied).
//   - A banned peer that was the swarm's only source is connected again when its ban ends,
//     on probation: a few requests at a time until it has delivered.
//   - Timeouts are not in the score: silence proves nothing (the rule above decides).
//   - Floods: a peer's REQUESTs queue at most MaxQueued chunks, those past it are refused
//     and weigh 1/8; a swarm takes at most MaxChannelsPerIP channels from one IP address,
//     further HANDSHAKEs get no answer (acceptHandshake).
//
// Default numbers (Config): DisconnectScore 8, ScoreHalfLife 5 min, MaxCredit 64, BanTime
// 30 s doubling to MaxBanTime 1 h, MaxTimeouts 6, MaxRequestBackoff 8 s, MaxChannelsPerIP
// 16; the weights below.

// offence is a kind of misbehaviour a handler reports.
type offence uint8

const (
	offBadChunk     offence = iota // chunk failed verification: wrong bytes, uncles or length
	offBadPeaks                    // peak hashes that do not reproduce the swarm ID (§5.6): a proven lie
	offBadDatagram                 // undecodable datagram (§3: drop the rest)
	offIgnoredChoke                // REQUEST while we choke the peer (§3.9)
	offRequestFlood                // REQUEST past MaxQueued chunks waiting at us
	offBadHave                     // HAVE for chunks outside the content
	offOversizeData                // DATA longer than its chunk; the chunk is checked on its own
	offUnverifiable                // DATA without the uncle hashes to check it (maybe lost on the way)
	offMisfit                      // DATA that cannot be its chunk: length or peaks of another tree shape
	offBadSignature                // live: a SIGNED_INTEGRITY that does not verify, or a malformed munro (§6.1)
	offLiveWindow                  // live: a chunk or munro outside the discard window, or a stale signature (§6.2)
	numOffences
)

// offenceWeight is what each offence adds to the score. Oversize DATA costs nothing by
// itself (the issue: counted, not a reason to drop a peer); its chunk is judged on its own.
// A peer is dropped at DisconnectScore (8): 8 bad chunks, 3 bad datagrams, 2 bad peak lists,
// 16 ignored chokes, 32 chunks without their hashes or 64 REQUESTs past its queue
// (MaxQueued chunks), net of its good chunks.
var offenceWeight = [numOffences]float64{
	offBadChunk:     1,
	offBadPeaks:     4,
	offBadDatagram:  3,
	offIgnoredChoke: 0.5,
	offRequestFlood: 0.125,
	offBadHave:      1,
	offOversizeData: 0,
	offUnverifiable: 0.25,
	offMisfit:       1,
	offBadSignature: 4,
	offLiveWindow:   1,
}

// ErrBadData matches (errors.Is) the reason of an EventPeerClosed for a peer dropped because
// its chunks failed verification, so a client can name the likely cause (wrong size or
// chunk size) instead of waiting.
var ErrBadData = errors.New("chunks failed verification")

// badDataError is a reason for dropping a peer that is ErrBadData.
type badDataError string

func (e badDataError) Error() string        { return string(e) }
func (e badDataError) Is(target error) bool { return target == ErrBadData }

var (
	errBadData      error = badDataError("sent mostly chunks that failed verification")
	errMisfit       error = badDataError("sent only chunks that failed verification: their length or peak hashes fit another chunk size or content length")
	errMalformed          = errors.New("sent too many malformed datagrams")
	errForged       error = badDataError("sent live signatures that do not verify")
	errIgnoredChoke       = errors.New("kept requesting while choked")
	errFlood              = errors.New("flooded us with requests")
	errUnresponsive       = errors.New("requests timed out while other peers could serve")
	// ErrPeerBanned is returned by Connect for a peer banned in the swarm for misbehaving.
	ErrPeerBanned = errors.New("engine: peer banned for misbehaving")
)

// scoreSlack keeps the decay over the milliseconds between a burst's offences from costing
// the peer one more offence than DisconnectScore says.
const scoreSlack = 0.01

// probeRequests is how many chunks a peer on probation is asked for at a time: one whose
// requests timed out two rounds in a row, whose score is probeScore or more, or that was
// let back in after a ban.
const probeRequests = 4

// probationChunks is how many good chunks a peer let back in after a ban delivers before it
// is asked for as many chunks as any other.
const probationChunks = 16

// report records an offence by ch's peer and disconnects (and bans) it when its score
// reaches DisconnectScore. It reports whether the channel was closed, so that a handler
// stops touching it.
func (e *Engine) report(now time.Time, ch *channel, o offence) bool {
	if ch.state == stateClosed {
		return true
	}
	ch.decayScore(now, e.cfg.ScoreHalfLife)
	ch.score += offenceWeight[o]
	if o == offBadChunk || o == offBadPeaks || o == offMisfit {
		ch.badChunks++
	}
	if o == offMisfit {
		ch.misfits++
	}
	if o == offBadSignature {
		ch.forgeries++
	}
	misfit := ch.misfit(misfitLimit)
	// A signature that does not verify is a proven lie, which good chunks relayed beside
	// it do not make up for: the second one disconnects.
	forger := ch.forgeries >= maxForgeries
	if ch.score+scoreSlack < e.cfg.DisconnectScore && !ch.mostlyBad(e.cfg.DisconnectScore) && !misfit && !forger {
		return false
	}
	var reason error
	switch {
	case misfit:
		e.stats.ClosedBadData++
		reason = errMisfit
	case o == offBadDatagram:
		e.stats.ClosedMalformed++
		reason = errMalformed
	case o == offIgnoredChoke:
		e.stats.ClosedIgnoredChoke++
		reason = errIgnoredChoke
	case o == offRequestFlood:
		e.stats.ClosedFlood++
		reason = errFlood
	case forger:
		e.stats.ClosedBadData++
		reason = errForged
	default:
		e.stats.ClosedBadData++
		reason = errBadData
	}
	e.disconnect(now, ch, reason)
	return true
}

// peerStanding is how far we trust the peer (the policy above): the score offences raise
// and good chunks lower, as of scoreAt; good and bad chunks so far; probation after a ban;
// requests paused after timeouts.
type peerStanding struct {
	score       float64
	scoreAt     time.Time
	goodChunks  int
	badChunks   int
	misfits     int // bad chunks that could not be their chunk at all (see offMisfit)
	forgeries   int // live signatures that did not verify (see maxForgeries)
	lastMisfits int // those of misfits that were for the content's last chunk
	// lastMissing is the uncle whose absence made the last DATA unverifiable, and
	// missingRepeats how many DATA in a row failed for it (see missingHashOffence).
	lastMissing    bins.Bin
	missingRepeats int
	probation      bool
	pausedUntil    time.Time
}

func newPeerStanding() peerStanding { return peerStanding{lastMissing: bins.None} }

// maxForgeries is how many live signatures that do not verify disconnect a peer: one
// could be a datagram damaged past its checksum, two are a forger.
const maxForgeries = 2

// misfitLimit is how many misfit chunks, with no good chunk, disconnect a peer. More than
// one, so that a peer that spoils the first send of a chunk or two at the start of a
// download is not dropped; few, so that a download with a wrong chunk size or content
// length fails within a second or two (issue 16).
const misfitLimit = 3

// misfit: over the channel's life, the peer sent at least limit chunks that cannot be
// theirs and not one that verified (its swarm is not shaped like ours), or limit misfits
// of the last chunk (its content length is not ours: with the same chunk count, every
// other chunk verifies).
func (ps *peerStanding) misfit(limit int) bool {
	return ps.misfits >= limit && (ps.goodChunks == 0 || ps.lastMisfits >= limit)
}

// mostlyBad: over the channel's life, at least limit bad chunks and more than
// mostlyBadRatio times as many bad chunks as good ones. It catches a peer that lies too
// slowly for the decaying score to reach the limit (one bad chunk a minute, nothing good).
func (ps *peerStanding) mostlyBad(limit float64) bool {
	return float64(ps.badChunks) >= limit && ps.badChunks > mostlyBadRatio*ps.goodChunks
}

// mostlyBadRatio: "mostly bad" is more than this many bad chunks per good one. A peer
// that corrupts the first send of every chunk (each then comes right) is at one to one.
const mostlyBadRatio = 3

// credit records a verified chunk from ch's peer.
func (e *Engine) credit(now time.Time, ch *channel) {
	ch.decayScore(now, e.cfg.ScoreHalfLife)
	ch.score = max(ch.score-1, -e.cfg.MaxCredit)
	ch.goodChunks++
	ch.timeouts = 0
	ch.pausedUntil = time.Time{}
}

// decayScore moves the score toward 0, halving it every halfLife, so that old offences and
// old credit both count less than recent ones.
func (ps *peerStanding) decayScore(now time.Time, halfLife time.Duration) {
	if !ps.scoreAt.IsZero() && ps.score != 0 && halfLife > 0 {
		if dt := now.Sub(ps.scoreAt); dt > 0 {
			ps.score *= math.Exp2(-float64(dt) / float64(halfLife))
		}
	}
	ps.scoreAt = now
}

// disconnect closes ch for misbehaviour and bans its peer in the swarm.
func (e *Engine) disconnect(now time.Time, ch *channel, reason error) {
	e.ban(now, ch.swarm, ch.peer)
	e.closeChannel(now, ch, true, reason)
}

// ban is one entry of a swarm's ban list.
type ban struct {
	until   time.Time
	count   int  // bans so far: the next lasts BanTime·2^count
	retried bool // the engine connected again after this ban (only-source retry)
}

// ban bars peer from s for a time that doubles with each repeat offence.
func (e *Engine) ban(now time.Time, s *swarm, peer netip.AddrPort) {
	b := s.bans[peer]
	if b == nil {
		e.pruneBans(now, s)
		b = &ban{}
		s.bans[peer] = b
		s.markTimed()
	}
	d := e.cfg.BanTime
	for k := 0; k < b.count && d < e.cfg.MaxBanTime; k++ {
		d *= 2 // doubling in a loop cannot overflow, as a shift by the count could
	}
	d = min(d, e.cfg.MaxBanTime)
	b.until, b.retried = now.Add(d), false
	b.count++
	e.stats.PeersBanned++
}

// maxBans bounds a swarm's ban list: a flood of misbehaving addresses cannot grow it
// without limit. Entries are forgotten MaxBanTime after their ban ended.
const maxBans = 4096

func (e *Engine) pruneBans(now time.Time, s *swarm) {
	for addr, b := range s.bans {
		if now.Sub(b.until) > e.cfg.MaxBanTime || len(s.bans) >= maxBans {
			delete(s.bans, addr)
		}
	}
}

// banned reports whether peer is banned from s at now.
func (s *swarm) banned(now time.Time, peer netip.AddrPort) bool {
	b := s.bans[peer]
	return b != nil && now.Before(b.until)
}

// retryBanned connects again, on probation, to peers whose ban ended in a swarm that has
// no live source left: a peer that errs is still better than none.
func (e *Engine) retryBanned(now time.Time, s *swarm) {
	if len(s.bans) == 0 || s.complete || s.err != nil || e.hasSource(s, nil) {
		return
	}
	for _, addr := range sortedAddrs(s.bans) {
		b := s.bans[addr]
		if b.retried || now.Before(b.until) {
			continue
		}
		b.retried = true
		e.stats.BanRetries++
		if ch := e.connect(now, s, addr); ch != nil {
			ch.probation = true
		}
	}
}

// nextBanEnd is when retryBanned may next act for s (zero if never).
func (e *Engine) nextBanEnd(s *swarm) time.Time {
	var next time.Time
	if len(s.bans) == 0 || s.complete || s.err != nil || e.hasSource(s, nil) {
		return next
	}
	for _, b := range s.bans {
		if !b.retried && (next.IsZero() || b.until.Before(next)) {
			next = b.until
		}
	}
	return next
}

// hasSource reports whether a channel of s other than except is established and could
// give us a chunk we lack, or might (the content size, so its HAVEs, still unknown).
func (e *Engine) hasSource(s *swarm, except *channel) bool {
	for _, c := range s.channels {
		if c == except || c.state != stateEstablished {
			continue
		}
		if s.n == 0 || c.peerHave.n == 0 {
			return true
		}
		for w, word := range c.peerHave.words {
			if word&^s.have.words[w] != 0 {
				return true
			}
		}
	}
	return false
}

// probeScore is the score from which a peer is on probation: a couple of bad chunks more
// than good ones lately.
const probeScore = 2

// requestCap bounds the chunks we keep requested at ch: a few while it is on probation
// (it went silent, its score is positive, or it was let back in after a ban).
func (e *Engine) requestCap(ch *channel, limit int) int {
	if ch.timeouts >= 2 || ch.score >= probeScore || (ch.probation && ch.goodChunks < probationChunks) {
		return min(limit, probeRequests)
	}
	return limit
}

// paused reports whether requests to ch wait out a timeout backoff.
func (ps *peerStanding) paused(now time.Time) bool {
	return !ps.pausedUntil.IsZero() && now.Before(ps.pausedUntil)
}

// timeoutRound records that ch's requests timed out for another round (silent, far too
// slow, or announcing chunks it does not have). While another peer could serve us, a peer
// is given up after MaxTimeouts rounds. From the second round in a row on, it is paused
// (RequestTimeout, doubled per round up to MaxRequestBackoff) and then asked for a few
// chunks, until ChannelTimeout closes a peer that sends nothing at all. It reports whether
// the channel was closed.
func (e *Engine) timeoutRound(now time.Time, ch *channel) bool {
	ch.timeouts++
	ch.lastTimeout = now
	if ch.timeouts >= e.cfg.MaxTimeouts && e.hasSource(ch.swarm, ch) {
		e.stats.ClosedUnresponsive++
		e.disconnect(now, ch, errUnresponsive)
		return true
	}
	if ch.timeouts < 2 {
		// One round may be a lost REQUEST (the peer then had no cause to send anything);
		// two in a row without a chunk in between is silence.
		return false
	}
	backoff := e.cfg.RequestTimeout << min(ch.timeouts-2, 16)
	ch.pausedUntil = now.Add(min(backoff, e.cfg.MaxRequestBackoff))
	e.stats.RequestBackoffs++
	return false
}

// chunkFailed records that chunk i did not come from ch: it failed verification (bad) or
// its request timed out. It is asked for elsewhere while the avoidance lasts. A bad chunk is
// a strike against the chunk: RequestTimeout, doubled per strike up to MaxRequestBackoff·4.
// From a peer that is the only source, the first retry goes out at once (a peer that errs
// once is served by a re-request), later ones wait (a peer that always lies about the
// chunk gets a few requests a minute for it, not a storm). A timeout is no strike: the
// channel's backoff (timeoutRound) paces a silent peer.
func (e *Engine) chunkFailed(now time.Time, ch *channel, i uint64, bad bool) {
	s := ch.swarm
	a := s.avoid[i]
	a.ch = ch
	d := 2 * e.cfg.RequestTimeout
	if bad {
		a.strikes = min(a.strikes+1, 16)
		d = min(e.cfg.RequestTimeout<<(a.strikes-1), 4*e.cfg.MaxRequestBackoff)
	}
	a.until = now.Add(d)
	s.avoid[i] = a
}

// chunkAllowed: the picker may ask ch for chunk i now.
func (e *Engine) chunkAllowed(now time.Time, ch *channel, i uint64) bool {
	s := ch.swarm
	a, ok := s.avoid[i]
	if !ok || a.ch != ch || !now.Before(a.until) {
		return true
	}
	if a.strikes > 1 {
		s.wakeAt(a.until)
		return false
	}
	// First failure: avoid ch only while another peer could serve the chunk; with nobody
	// else, waiting would only stall the download.
	for _, c := range s.channels {
		if c != ch && c.state == stateEstablished && !c.choked && c.peerHave.has(i) {
			s.wakeAt(a.until)
			return false
		}
	}
	return true
}

// wakeAt makes the timers look at the swarm's channels again at t, when a chunk the picker
// passed over becomes allowed: with nothing else in flight, nothing else would.
func (s *swarm) wakeAt(t time.Time) {
	if s.wake.IsZero() || t.Before(s.wake) {
		s.wake = t
		s.markTimed()
	}
}

// sortedAddrs lists a ban list's addresses in order, so that runs repeat exactly.
func sortedAddrs(m map[netip.AddrPort]*ban) []netip.AddrPort {
	return slices.SortedFunc(maps.Keys(m), netip.AddrPort.Compare)
}

// firstChunk picks the chunk to ask ch for while the content size is unknown: the first it
// announced that it has not just failed us on, so that a peer lying about its first chunk
// (HAVE for a chunk it lacks, wrong peaks with it) does not stall the download on that
// chunk. It looks at a bounded number of chunks.
func (e *Engine) firstChunk(now time.Time, ch *channel) (uint64, bool) {
	const maxLook = 64
	looked := 0
	for _, r := range ch.earlyHaves {
		for i := r.Start; i <= r.End && looked < maxLook; i++ {
			looked++
			a, ok := ch.swarm.avoid[i]
			if !ok || a.ch != ch || !now.Before(a.until) {
				return i, true
			}
			ch.swarm.wakeAt(a.until)
		}
	}
	return 0, false
}

// missingRepeatsPerOffence is how many DATA in a row that lack the same uncle count as one
// offence more.
const missingRepeatsPerOffence = 64

// missingHashOffence tells whether a DATA that could not be verified for want of a hash
// (err from the store) counts against the peer. One lost datagram that carried a high uncle
// strands every chunk under it that the peer sends before it learns of the loss: a whole
// window, thousands of chunks when the window is large, all failing for the same missing
// hash. That is one incident, not thousands: the first DATA that lacks a given uncle counts,
// then one in missingRepeatsPerOffence of those that lack it again, so a peer that keeps
// leaving the same hash out is still dropped in the end.
func (ps *peerStanding) missingHashOffence(err error) bool {
	var be *hashtree.BinError
	if !errors.As(err, &be) {
		return true
	}
	if be.Bin != ps.lastMissing {
		ps.lastMissing, ps.missingRepeats = be.Bin, 0
		return true
	}
	ps.missingRepeats++
	return ps.missingRepeats%missingRepeatsPerOffence == 0
}
