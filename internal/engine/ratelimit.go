package engine

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Rate limits. RFC 7574 leaves how much to send and to ask for to the implementation; above
// LEDBAT (which governs the upload to each peer, RFC 6817) and the adaptive request window
// (channel.adaptRequests), a user may cap a swarm's and the whole engine's upload and
// download. A DATA goes out only when both the swarm's and the global upload bucket hold its
// payload; chunks are requested only while both download buckets hold their size, so a
// peer is never asked for more than the caps allow. Everything runs on the engine's own
// clock (the now passed in), so runs repeat exactly.
//
// Sharing a cap. While a bucket holds plenty (a quarter of its burst or more) and nobody
// waits for it, a channel takes what it needs at once: below the cap nothing changes. Once
// tokens are scarce, a channel that needs some joins a wait list instead, and NextDeadline
// includes the time the bucket holds a quarter burst again. Then every waiting channel is
// woken, in the order they came, each with an equal share of what the bucket holds. Taking
// tokens as they trickle in would favour the busiest channel: the more it has in flight,
// the more often it comes back for more.

// Burst: a bucket holds burstTime of its rate, and never less than burstChunks chunks.
const (
	burstTime   = 100 * time.Millisecond
	burstChunks = 4
	// minBurstChunk is the chunk size the global buckets' burst assumes before any swarm
	// is added (the RFC's default chunk size, §6.1).
	minBurstChunk = 1024
)

// rateLimits holds the engine-wide caps and the channels waiting for tokens.
type rateLimits struct {
	up, down         bucket
	upWait, downWait waitList
	// woken are the channels given shares at the last wake-up; the shares lapse at the
	// end of the flush that follows it.
	woken []*channel
}

// waitList holds the channels of one direction that a cap stopped, in the order they were
// stopped.
type waitList struct {
	chans []*channel
	wake  time.Time // when the buckets they wait for hold enough; zero when none waits
}

// direction selects the upload or the download side of the caps.
type direction uint8

const (
	upload   direction = 1 << iota
	download direction = 1 << iota
)

// rateState is a channel's part in the caps.
type rateState struct {
	waiting direction // the wait lists it is in
	// share is what it may still take in the current wake-up, in bytes, per direction.
	upShare, downShare int
}

func (r *rateState) share(d direction) *int {
	if d == upload {
		return &r.upShare
	}
	return &r.downShare
}

func (l *rateLimits) global(d direction) *bucket {
	if d == upload {
		return &l.up
	}
	return &l.down
}

func (l *rateLimits) list(d direction) *waitList {
	if d == upload {
		return &l.upWait
	}
	return &l.downWait
}

func (s *swarm) bucket(d direction) *bucket {
	if d == upload {
		return &s.upCap
	}
	return &s.downCap
}

// bucket is a token bucket of bytes, refilled at rate bytes a second up to burst. A zero
// rate means no cap. Its balance may go below zero when something bigger than the bucket
// goes out; later sends then wait that debt off.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
	waiters             int // channels in a wait list for this bucket
}

// tokenSlack absorbs floating-point error in comparisons of token counts.
const tokenSlack = 1e-3

func (b *bucket) capped() bool { return b.rate > 0 }

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
}

// need is what the bucket must hold before n bytes go: n, or a full bucket when n is more
// than it can hold.
func (b *bucket) need(n int) float64 { return min(float64(n), b.burst) }

// plenty is what the bucket holds when a channel may take from it without waiting its turn.
func (b *bucket) plenty(size int) float64 { return max(b.need(size), b.burst/4) }

// units is how many items of size bytes the bucket allows at now: at least one when it
// holds need(size), 0 when it does not, math.MaxInt when uncapped.
func (b *bucket) units(now time.Time, size int) int {
	if !b.capped() {
		return math.MaxInt
	}
	b.refill(now)
	if b.tokens < b.need(size)-tokenSlack {
		return 0
	}
	return max(1, int((b.tokens+tokenSlack)/float64(size)))
}

// take spends n bytes.
func (b *bucket) take(now time.Time, n int) {
	if b.capped() {
		b.refill(now)
		b.tokens -= float64(n)
	}
}

// readyAt is when the bucket will hold want bytes, now or later.
func (b *bucket) readyAt(now time.Time, want float64) time.Time {
	if !b.capped() {
		return now
	}
	b.refill(now)
	missing := want - b.tokens
	if missing <= 0 {
		return now
	}
	return now.Add(time.Duration(math.Ceil(missing/b.rate*float64(time.Second))) + time.Nanosecond)
}

// set changes the rate. A new cap starts with a full bucket; a changed one keeps what it
// holds, up to the new burst.
func (b *bucket) set(now time.Time, rate float64, chunk int) {
	if rate == 0 {
		*b = bucket{}
		return
	}
	wasCapped := b.capped()
	b.refill(now)
	b.rate = rate
	b.burst = max(rate*burstTime.Seconds(), float64(burstChunks*max(chunk, minBurstChunk)))
	if !wasCapped {
		b.tokens = b.burst
	}
	b.tokens = min(b.tokens, b.burst)
	b.last = now
}

var errBadRate = errors.New("engine: rate limit must be a finite number of bytes/s, 0 or more")

// SetRateLimit caps the upload and download of swarm id, or of the whole engine when id is
// "", in bytes per second of chunk payload; 0 removes a cap. Below the caps, LEDBAT and the
// request window govern as before.
func (e *Engine) SetRateLimit(now time.Time, id SwarmID, up, down float64) error {
	for _, r := range []float64{up, down} {
		if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("%w: %v", errBadRate, r)
		}
	}
	if id == "" {
		chunk := int(e.maxChunkSize)
		e.limits.up.set(now, up, chunk)
		e.limits.down.set(now, down, chunk)
	} else {
		s, ok := e.swarms[id]
		if !ok {
			return ErrUnknownSwarm
		}
		s.upCap.set(now, up, int(s.chunkSize))
		s.downCap.set(now, down, int(s.chunkSize))
	}
	// A cap raised or lifted frees the waiting channels now rather than at their wake-up.
	for _, d := range []direction{upload, download} {
		if w := e.limits.list(d); len(w.chans) > 0 {
			w.wake = now
		}
	}
	e.wakeThrottled(now)
	e.flush(now)
	return nil
}

// allowance is how many items of size bytes ch may take in direction d now: math.MaxInt
// when neither cap applies, 0 when ch must wait (it is then in the wait list).
func (e *Engine) allowance(now time.Time, ch *channel, d direction, size int) int {
	sb, gb := ch.swarm.bucket(d), e.limits.global(d)
	if !sb.capped() && !gb.capped() {
		return math.MaxInt
	}
	n := min(sb.units(now, size), gb.units(now, size))
	if share := *ch.rate.share(d); share > 0 {
		n = min(n, max(1, share/size)) // woken: its share of the wake-up
	} else if ch.rate.waiting&d != 0 || !sb.plentyFor(now, size) || !gb.plentyFor(now, size) {
		n = 0 // tokens are scarce: wait for a turn
	}
	if n == 0 {
		e.throttle(now, ch, d, size)
	}
	return n
}

// plentyFor: a channel may take from b without waiting its turn.
func (b *bucket) plentyFor(now time.Time, size int) bool {
	if !b.capped() {
		return true
	}
	b.refill(now)
	return b.waiters == 0 && b.tokens >= b.plenty(size)-tokenSlack
}

// spend charges n bytes to ch's caps in direction d.
func (e *Engine) spend(now time.Time, ch *channel, d direction, n int) {
	ch.swarm.bucket(d).take(now, n)
	e.limits.global(d).take(now, n)
	if share := ch.rate.share(d); *share > 0 {
		*share = max(*share-n, 0)
	}
}

// uploadAllowed reports whether the caps let ch send a DATA now.
func (e *Engine) uploadAllowed(now time.Time, ch *channel) bool {
	return e.allowance(now, ch, upload, int(ch.swarm.chunkSize)) > 0
}

// spendUpload charges a DATA's payload to the upload caps.
func (e *Engine) spendUpload(now time.Time, ch *channel, n int) { e.spend(now, ch, upload, n) }

// downloadBudget is how many chunks the caps let ch request now (math.MaxInt when neither
// caps).
func (e *Engine) downloadBudget(now time.Time, ch *channel) int {
	return e.allowance(now, ch, download, int(ch.swarm.chunkSize))
}

// spendDownload charges chunks requested at ch to the download caps.
func (e *Engine) spendDownload(now time.Time, ch *channel, chunks int) {
	if chunks > 0 {
		e.spend(now, ch, download, chunks*int(ch.swarm.chunkSize))
	}
}

// throttle puts ch in the wait list of direction d, waiting for those of its buckets that
// are scarce or have channels waiting already, until they hold plenty again.
func (e *Engine) throttle(now time.Time, ch *channel, d direction, size int) {
	*ch.rate.share(d) = 0
	if ch.rate.waiting&d != 0 {
		return // already waiting, with its wake-up set
	}
	ch.rate.waiting |= d
	w := e.limits.list(d)
	w.chans = append(w.chans, ch)
	at := now
	for _, b := range []*bucket{ch.swarm.bucket(d), e.limits.global(d)} {
		if b.capped() && !b.plentyFor(now, size) {
			b.waiters++
			at = laterOf(at, b.readyAt(now, b.plenty(size)))
		}
	}
	if w.wake.IsZero() || at.Before(w.wake) {
		w.wake = at
	}
}

// wakeThrottled wakes the waiting channels of a direction once its wake-up is due.
func (e *Engine) wakeThrottled(now time.Time) {
	for _, d := range []direction{upload, download} {
		w := e.limits.list(d)
		if w.wake.IsZero() || now.Before(w.wake) {
			continue
		}
		e.wake(now, d, w)
	}
}

// wake gives each channel of w an equal share of what its buckets hold and marks it dirty;
// the shares lapse when the next flush ends (endWake).
func (e *Engine) wake(now time.Time, d direction, w *waitList) {
	// Every waiter of this direction leaves the list, so no bucket of it has waiters left.
	gb := e.limits.global(d)
	gb.waiters = 0
	for _, ch := range w.chans {
		ch.swarm.bucket(d).waiters = 0
	}
	n := len(w.chans)
	for _, ch := range w.chans {
		ch.rate.waiting &^= d
		if ch.state == stateClosed {
			continue
		}
		avail := math.MaxFloat64
		for _, b := range []*bucket{ch.swarm.bucket(d), gb} {
			if b.capped() {
				b.refill(now)
				avail = min(avail, b.tokens)
			}
		}
		size := int(ch.swarm.chunkSize)
		*ch.rate.share(d) = max(size, int(avail/float64(n)))
		e.limits.woken = append(e.limits.woken, ch)
		e.markDirty(ch)
	}
	clear(w.chans)
	w.chans = w.chans[:0]
	w.wake = time.Time{}
}

// endWake ends the shares of the last wake-up; called when a flush is done.
func (e *Engine) endWake() {
	for _, ch := range e.limits.woken {
		ch.rate.upShare, ch.rate.downShare = 0, 0
	}
	clear(e.limits.woken)
	e.limits.woken = e.limits.woken[:0]
}

// NextDeadline is when Tick should next run; the zero time when nothing is scheduled.
func (e *Engine) NextDeadline() time.Time {
	next := e.timerDeadline()
	for _, w := range []time.Time{e.limits.upWait.wake, e.limits.downWait.wake} {
		if !w.IsZero() && (next.IsZero() || w.Before(next)) {
			next = w
		}
	}
	return next
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
