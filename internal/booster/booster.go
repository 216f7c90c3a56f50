package booster

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// Config configures a Booster. Zero durations and sizes take the defaults below.
type Config struct {
	Feeds    []string      // feed URLs (RSS, Atom, JSON Feed)
	Dir      string        // a directory of text files; "" for none
	Interval time.Duration // how often each source is checked
	Limits   Limits
	// StateFile keeps which swarms the booster added, the links seen and each feed's
	// validators (booster.json in the state directory); "" keeps nothing.
	StateFile    string
	MaxFeedBytes int64         // cap of a feed body (and of a file read from Dir)
	CheckEvery   time.Duration // how often the limits are applied
	FetchTimeout time.Duration // bound of one fetch
	// Client makes the feed requests; nil: a client of the booster's own.
	Client    *http.Client
	UserAgent string
	Logger    *zap.Logger
}

// Defaults.
const (
	DefaultInterval     = 5 * time.Minute
	DefaultGrace        = 10 * time.Minute
	DefaultMaxFeedBytes = 8 << 20
	defaultCheckEvery   = 5 * time.Second
	defaultFetchTimeout = 30 * time.Second
	dirSourcePrefix     = "dir:"
)

// source is one feed or the directory. Its fields are written by the loop goroutine under
// Booster.mu (Status reads them); dir is used only by the one fetch in flight.
type source struct {
	name     string // the feed URL, or "dir:" and the path
	dir      *dirSource
	inFlight bool
	dropped  bool // no longer configured: a check in flight is ignored
	next     time.Time
	failures int // consecutive
	status   SourceStatus
}

// Booster watches the sources and adds, seeds and removes swarms. Run drives it.
type Booster struct {
	cfg     Config
	m       Manager
	log     *zap.Logger
	fetcher *fetcher

	// Retry waits of failing sources (backoffMin, backoffMax; shorter in tests).
	retryMin, retryMax time.Duration

	reconf chan struct{} // Reconfigure wakes the loop

	mu       sync.Mutex // guards everything below; written by the Run goroutine only
	pending  *Config    // from Reconfigure, for the loop to apply (written by any goroutine)
	sources  []*source
	state    savedState
	seen     map[string]bool
	dirty    bool
	counters counters
}

// New builds a booster and reads its saved state (an unreadable file is logged and
// replaced). Run must follow.
func New(cfg Config, m Manager) *Booster {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	setDefault(&cfg.Interval, DefaultInterval)
	setDefault(&cfg.Limits.Grace, DefaultGrace)
	setDefault(&cfg.MaxFeedBytes, DefaultMaxFeedBytes)
	setDefault(&cfg.CheckEvery, defaultCheckEvery)
	setDefault(&cfg.FetchTimeout, defaultFetchTimeout)
	setDefault(&cfg.UserAgent, "ppsppd-booster")
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	b := &Booster{
		cfg: cfg, m: m, log: cfg.Logger,
		fetcher:  &fetcher{client: cfg.Client, maxBytes: cfg.MaxFeedBytes, agent: cfg.UserAgent},
		retryMin: backoffMin, retryMax: backoffMax,
		reconf:   make(chan struct{}, 1),
		seen:     map[string]bool{},
		counters: newCounters(),
	}
	st, err := loadState(cfg.StateFile)
	if err != nil {
		b.log.Warn("booster state unreadable: starting with an empty one", zap.Error(err))
	}
	b.state = st
	for _, id := range st.Seen {
		b.seen[id] = true
	}
	b.sources = b.makeSources(cfg.Feeds, cfg.Dir, nil)
	return b
}

// makeSources lists the sources for feeds and dir, reusing those of old with the same name
// (their state and schedule go on); a new one is due at once.
func (b *Booster) makeSources(feeds []string, dir string, old []*source) []*source {
	byName := map[string]*source{}
	for _, src := range old {
		byName[src.name] = src
	}
	var out []*source
	used := map[string]bool{} // a feed listed twice is one source
	add := func(name string, mk func() *source) {
		if used[name] {
			return
		}
		used[name] = true
		if src, ok := byName[name]; ok {
			out = append(out, src)
			return
		}
		out = append(out, mk())
	}
	for _, u := range feeds {
		add(u, func() *source { return &source{name: u, status: SourceStatus{Source: u, Kind: "feed"}} })
	}
	if dir != "" {
		name := dirSourcePrefix + dir
		add(name, func() *source {
			return &source{name: name, dir: newDirSource(dir, b.cfg.MaxFeedBytes), status: SourceStatus{Source: name, Kind: "dir"}}
		})
	}
	return out
}

// Reconfigure applies new sources and limits while the booster runs (SIGHUP): feeds and
// the directory that stay keep their state; new ones are checked at once; the new limits
// apply at the next check of the limits. The other fields of cfg are ignored.
func (b *Booster) Reconfigure(cfg Config) {
	b.mu.Lock()
	b.pending = &cfg
	b.mu.Unlock()
	select {
	case b.reconf <- struct{}{}:
	default: // a wake-up is pending already; it reads the latest config
	}
}

// applyPending is Reconfigure's work, on the loop goroutine.
func (b *Booster) applyPending() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending == nil {
		return
	}
	next := *b.pending
	b.pending = nil
	setDefault(&next.Interval, DefaultInterval)
	setDefault(&next.Limits.Grace, DefaultGrace)
	b.cfg.Feeds, b.cfg.Dir, b.cfg.Interval, b.cfg.Limits = next.Feeds, next.Dir, next.Interval, next.Limits
	sources := b.makeSources(next.Feeds, next.Dir, b.sources)
	kept := map[*source]bool{}
	for _, src := range sources {
		kept[src] = true
		if src.failures == 0 && !src.status.LastCheck.IsZero() {
			src.next = src.status.LastCheck.Add(next.Interval)
			src.status.NextCheck = src.next
		}
	}
	for _, src := range b.sources {
		if !kept[src] {
			src.dropped = true
			delete(b.state.Feeds, src.name)
			b.dirty = true
		}
	}
	b.sources = sources
	b.log.Info("booster reconfigured", zap.Strings("feeds", next.Feeds), zap.String("dir", next.Dir),
		zap.Duration("interval", next.Interval), zap.Int("max_swarms", next.Limits.MaxSwarms),
		zap.Int64("max_bytes", next.Limits.MaxBytes), zap.Duration("seed_time", next.Limits.SeedTime),
		zap.Float64("seed_ratio", next.Limits.SeedRatio))
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// sourceResult is what one check of a source found.
type sourceResult struct {
	src         *source
	at          time.Time
	links       []swarmurl.Link
	notModified bool
	val         validators
	err         error
}

// Run checks the sources and applies the limits until ctx ends. It owns the fetch
// goroutines it starts and waits for them, then saves its state.
func (b *Booster) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		b.save(true) // the upload counts change without marking the state dirty
		b.cfg.Client.CloseIdleConnections()
	}()
	b.log.Info("booster on", zap.Strings("feeds", b.cfg.Feeds), zap.String("dir", b.cfg.Dir),
		zap.Duration("interval", b.cfg.Interval), zap.Int("swarms", len(b.state.Swarms)))
	results := make(chan sourceResult)
	check := time.NewTicker(b.cfg.CheckEvery)
	defer check.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	b.enforce(ctx)
	for {
		now := time.Now()
		b.startDue(ctx, &wg, results, now)
		wake.Reset(b.nextDue(now).Sub(now))
		select {
		case <-ctx.Done():
			return nil
		case r := <-results:
			b.apply(ctx, r)
			b.save(false)
		case <-wake.C:
		case <-b.reconf:
			b.applyPending()
			b.save(false)
		case <-check.C:
			b.enforce(ctx)
			b.save(false)
		}
	}
}

// startDue starts a check of every source that is due and not being checked.
func (b *Booster) startDue(ctx context.Context, wg *sync.WaitGroup, results chan<- sourceResult, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, src := range b.sources {
		if src.inFlight || now.Before(src.next) {
			continue
		}
		src.inFlight = true
		val := b.state.Feeds[src.name]
		wg.Go(func() {
			r := b.check(ctx, src, val)
			select {
			case results <- r:
			case <-ctx.Done():
			}
		})
	}
}

// nextDue is when the next source is due; an hour away when every source is in flight.
func (b *Booster) nextDue(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := now.Add(time.Hour)
	for _, src := range b.sources {
		if !src.inFlight && src.next.Before(next) {
			next = src.next
		}
	}
	return next
}

// check fetches and parses one source (on a goroutine of its own).
func (b *Booster) check(ctx context.Context, src *source, val validators) sourceResult {
	r := sourceResult{src: src}
	if src.dir != nil {
		texts, err := src.dir.scan()
		r.err = err
		r.links = mergeLinks(nil, texts...)
		r.at = time.Now()
		return r
	}
	fctx, cancel := context.WithTimeout(ctx, b.cfg.FetchTimeout)
	defer cancel()
	res, err := b.fetcher.fetch(fctx, src.name, val)
	r.at = time.Now()
	if err != nil {
		r.err = err
		return r
	}
	if res.NotModified {
		r.notModified, r.val = true, res.Validators
		return r
	}
	r.links, r.err = FeedLinks(res.Body)
	r.val = res.Validators
	return r
}

// apply records a check's outcome and considers the links it found.
func (b *Booster) apply(ctx context.Context, r sourceResult) {
	src := r.src
	b.mu.Lock()
	src.inFlight = false
	if src.dropped {
		b.mu.Unlock()
		return
	}
	src.status.LastCheck = r.at
	src.status.Checks++
	if r.err != nil {
		src.failures++
		wait := backoff(src.failures, b.retryMin, b.retryMax)
		src.next = r.at.Add(wait)
		src.status.Errors++
		src.status.ConsecutiveErrors = src.failures
		src.status.LastError = r.err.Error()
		src.status.NextCheck = src.next
		b.counters.fetchErrors[errorReason(r.err)]++
		b.mu.Unlock()
		b.log.Warn("booster source failed", zap.String("source", src.name), zap.Error(r.err),
			zap.Int("failures", src.failures), zap.Duration("retry_in", wait))
		return
	}
	src.failures = 0
	src.next = r.at.Add(b.cfg.Interval)
	src.status.ConsecutiveErrors = 0
	src.status.LastError = ""
	src.status.LastOK = r.at
	src.status.NextCheck = src.next
	if r.notModified {
		src.status.NotModified++
		b.counters.notModified++
	} else {
		b.counters.fetched++
	}
	if src.dir == nil && b.state.Feeds[src.name] != r.val {
		b.state.Feeds[src.name] = r.val
		b.dirty = true
	}
	b.mu.Unlock()
	if len(r.links) == 0 {
		return
	}
	v := b.newView()
	for _, l := range r.links {
		b.consider(ctx, src, l, v)
	}
}

// view is the manager's swarms as one batch of links sees them: read once, then kept up to
// date with what the batch adds and removes, so a feed with many links costs one List.
type view struct {
	held map[swarmapi.ID]bool
	mine []held // the booster's swarms
}

func (b *Booster) newView() *view {
	list := b.m.List()
	v := &view{held: make(map[swarmapi.ID]bool, len(list)), mine: b.held(list)}
	for _, st := range list {
		v.held[st.ID] = true
	}
	return v
}

func (v *view) drop(id swarmapi.ID) {
	delete(v.held, id)
	v.mine = slices.DeleteFunc(v.mine, func(h held) bool { return h.st.ID == id })
}

// errorReason is the metric label of a source's failure.
func errorReason(err error) string {
	switch {
	case errors.Is(err, ErrHTTP):
		return "http"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrDir):
		return "dir"
	}
	return "network"
}

var errorReasons = []string{"network", "http", "too_large", "malformed", "dir"}

// consider adds the swarm of a link not seen before, making room within MaxSwarms.
func (b *Booster) consider(ctx context.Context, src *source, l swarmurl.Link, v *view) {
	id := swarmapi.ID(l.SwarmID)
	hexID := id.String()
	b.mu.Lock()
	if b.seen[hexID] {
		b.mu.Unlock()
		return
	}
	b.markSeenLocked(hexID)
	src.status.Links++
	b.counters.links++
	b.mu.Unlock()

	if v.held[id] {
		b.log.Info("booster: link names a swarm already held; left to its owner", zap.Stringer("swarm", id),
			zap.String("source", src.name))
		return
	}
	now := time.Now()
	victim, ok := b.cfg.Limits.makeRoom(v.mine, now)
	if !ok {
		b.mu.Lock()
		b.counters.skipped++
		b.mu.Unlock()
		b.log.Info("booster: link skipped: max_swarms reached and every booster swarm is younger than its grace",
			zap.Stringer("swarm", id), zap.String("source", src.name))
		return
	}
	if victim != "" {
		b.remove(ctx, victim, reasonMakeRoom)
		v.drop(victim)
	}
	spec := swarmapi.AddSpec{ID: id, ChunkSize: int(l.ChunkSize), Size: l.Size, Name: l.Filename}
	if l.Hash >= 0 {
		spec.Hash = hashtree.HashFunc(l.Hash).String()
	}
	if l.Peer != "" {
		spec.Peers = []string{l.Peer}
	}
	st, err := b.m.Add(ctx, spec)
	switch {
	case errors.Is(err, swarms.ErrExists):
		v.held[id] = true
		b.log.Info("booster: swarm added meanwhile by someone else; left to its owner", zap.Stringer("swarm", id))
		return
	case err != nil:
		b.mu.Lock()
		b.counters.addFailed++
		if errors.Is(err, swarms.ErrClosed) {
			// Shutting down: forget the link, so it is tried again after the restart.
			delete(b.seen, hexID)
			if i := slices.Index(b.state.Seen, hexID); i >= 0 {
				b.state.Seen = slices.Delete(b.state.Seen, i, i+1)
			}
		}
		b.mu.Unlock()
		b.log.Warn("booster: swarm not added", zap.Stringer("swarm", id), zap.String("source", src.name), zap.Error(err))
		return
	}
	rec := swarmRecord{Source: src.name, Added: now.UTC()}
	v.held[id] = true
	v.mine = append(v.mine, held{st: st, rec: rec})
	b.mu.Lock()
	b.state.Swarms[hexID] = rec
	b.counters.added++
	b.dirty = true
	b.mu.Unlock()
	b.log.Info("booster: swarm added", zap.Stringer("swarm", id), zap.String("source", src.name),
		zap.String("peer", l.Peer))
}

// markSeenLocked remembers a link, forgetting the oldest beyond maxSeen (a quarter at a
// time, so that a long run of new links does not copy the list for each).
func (b *Booster) markSeenLocked(hexID string) {
	b.seen[hexID] = true
	b.state.Seen = append(b.state.Seen, hexID)
	if len(b.state.Seen) > maxSeen+maxSeen/4 {
		n := len(b.state.Seen) - maxSeen
		for _, old := range b.state.Seen[:n] {
			delete(b.seen, old)
		}
		b.state.Seen = append([]string(nil), b.state.Seen[n:]...)
	}
	b.dirty = true
}

// held pairs the booster's records with the manager's statuses.
func (b *Booster) held(list []swarmapi.Status) []held {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []held
	for _, st := range list {
		if rec, ok := b.state.Swarms[st.ID.String()]; ok {
			out = append(out, held{st: st, rec: rec})
		}
	}
	return out
}

// enforce brings the records up to date with the manager (completion, uploads, swarms the
// user removed) and removes what the limits say must go.
func (b *Booster) enforce(ctx context.Context) {
	now := time.Now()
	list := b.m.List()
	byID := make(map[string]swarmapi.Status, len(list))
	for _, st := range list {
		byID[st.ID.String()] = st
	}
	var hs []held
	b.mu.Lock()
	for hexID, rec := range b.state.Swarms {
		st, ok := byID[hexID]
		if !ok {
			// Removed by the user (RM): no longer the booster's to manage.
			delete(b.state.Swarms, hexID)
			b.dirty = true
			b.log.Info("booster swarm removed by the user", zap.String("swarm", hexID))
			continue
		}
		if st.Uploaded < rec.LastUploaded {
			rec.Uploaded += rec.LastUploaded // the manager's count started again
		}
		rec.LastUploaded = st.Uploaded
		if st.State == swarmapi.StateSeeding && rec.Completed.IsZero() {
			rec.Completed = now.UTC()
			b.dirty = true
			b.log.Info("booster swarm complete: seeding", zap.String("swarm", hexID), zap.String("source", rec.Source),
				zap.Duration("after", now.Sub(rec.Added)))
		}
		b.state.Swarms[hexID] = rec
		hs = append(hs, held{st: st, rec: rec})
	}
	b.mu.Unlock()
	for _, ev := range b.cfg.Limits.plan(hs, now) {
		b.remove(ctx, ev.id, ev.reason)
	}
}

// Release hands a booster swarm to the user, who asked for it (an ADD or START of a swarm
// the booster holds): the booster forgets it and never removes it. It reports whether the
// swarm was the booster's.
func (b *Booster) Release(id swarmapi.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.state.Swarms[id.String()]; !ok {
		return false
	}
	delete(b.state.Swarms, id.String())
	b.dirty = true
	b.log.Info("booster swarm added by the user too: now the user's", zap.Stringer("swarm", id))
	return true
}

// remove takes a booster swarm out of the manager with its content and checkpoint, unless
// it was released to the user meanwhile.
func (b *Booster) remove(ctx context.Context, id swarmapi.ID, reason string) {
	b.mu.Lock()
	_, mine := b.state.Swarms[id.String()]
	b.mu.Unlock()
	if !mine {
		return
	}
	err := b.m.Remove(ctx, id, swarmapi.RemoveOptions{DeleteState: true, DeleteContent: true})
	if err != nil && !errors.Is(err, swarms.ErrUnknown) {
		b.log.Warn("booster: swarm not removed", zap.Stringer("swarm", id), zap.String("reason", reason), zap.Error(err))
		return
	}
	b.mu.Lock()
	delete(b.state.Swarms, id.String())
	b.counters.removed[reason]++
	b.dirty = true
	b.mu.Unlock()
	b.log.Info("booster: swarm removed", zap.Stringer("swarm", id), zap.String("reason", reason))
}

// save writes the state when it changed, or always with force.
func (b *Booster) save(force bool) {
	b.mu.Lock()
	if !b.dirty && !force {
		b.mu.Unlock()
		return
	}
	st := b.state
	st.Seen = append([]string(nil), b.state.Seen...)
	st.Swarms = make(map[string]swarmRecord, len(b.state.Swarms))
	for k, v := range b.state.Swarms {
		st.Swarms[k] = v
	}
	st.Feeds = make(map[string]validators, len(b.state.Feeds))
	for k, v := range b.state.Feeds {
		st.Feeds[k] = v
	}
	b.dirty = false
	b.mu.Unlock()
	if err := saveState(b.cfg.StateFile, st); err != nil {
		b.log.Warn("booster state not saved", zap.Error(err))
		b.mu.Lock()
		b.dirty = true
		b.mu.Unlock()
	}
}
