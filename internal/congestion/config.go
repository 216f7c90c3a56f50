package congestion

import (
	"errors"
	"fmt"
	"time"
)

// Limits from RFC 6817 §2.5 and RFC 6298.
const (
	// MaxTarget: RFC 6817 §2.5 caps TARGET at 100 ms, so that a background flow never adds
	// more delay than that to the paths it shares.
	MaxTarget = 100 * time.Millisecond
	// MaxGain: GAIN above 1 would grow faster than TCP's congestion avoidance, which a
	// less-than-best-effort flow must not (RFC 6817 §2.5).
	MaxGain = 1.0
	// MaxInitCwnd: INIT_CWND must be no larger than TCP's initial window (RFC 6817 §2.5);
	// TCP's is at most 4 segments (RFC 5681 §3.1).
	MaxInitCwnd = 4
	// InitialCTO is the congestion timeout before any RTT sample (RFC 6298 §2.1).
	InitialCTO = time.Second
	// PlusPlusTarget is LEDBAT++'s target (draft-irtf-iccrg-ledbat-plus-plus §4.1), the
	// default Target of the LEDBATPlusPlus variant.
	PlusPlusTarget = 60 * time.Millisecond
	// DefaultMinTarget is the smallest target LEDBAT++ takes from a short round trip.
	DefaultMinTarget = 2 * time.Millisecond
)

// Variant chooses the window rule. Both share the delay filters, the loss response and the
// congestion timeout; see the package documentation for how they differ and why
// LEDBATPlusPlus is the default.
type Variant uint8

const (
	// LEDBATPlusPlus is LEDBAT++ (draft-irtf-iccrg-ledbat-plus-plus): a 60 ms target, an
	// increase slower than Reno's on short paths, a decrease proportional to how far the
	// queuing delay exceeds the target, and periodic slowdowns. The zero value.
	LEDBATPlusPlus Variant = iota
	// RFC6817 is LEDBAT as RFC 6817 §2.4.2 specifies it: a 100 ms target and a window that
	// moves linearly with the distance from it.
	RFC6817
)

func (v Variant) String() string {
	switch v {
	case LEDBATPlusPlus:
		return "ledbat++"
	case RFC6817:
		return "rfc6817"
	}
	return fmt.Sprintf("Variant(%d)", uint8(v))
}

// ParseVariant reads a Variant by its String name, as configuration files spell it.
func ParseVariant(s string) (Variant, error) {
	for _, v := range []Variant{LEDBATPlusPlus, RFC6817} {
		if s == v.String() {
			return v, nil
		}
	}
	return 0, fmt.Errorf("congestion control %q: want %q (the default) or %q", s, LEDBATPlusPlus, RFC6817)
}

// Config tunes a Ledbat. Zero fields take the defaults of DefaultConfig. Counts of MSS are in
// whole datagrams; MSS and MaxCwnd are bytes.
type Config struct {
	// Variant is the window rule: LEDBATPlusPlus (the zero value) or RFC6817.
	Variant Variant
	// Target is the queuing delay LEDBAT aims for; at most MaxTarget (RFC 6817 §2.5).
	// PPSPP lets a live stream choose a smaller one (RFC 7574 §8.15). The default is the
	// variant's: PlusPlusTarget for LEDBAT++, MaxTarget for RFC 6817.
	Target time.Duration
	// Gain scales how fast the window moves: at Gain 1 and no queue it grows one MSS per
	// round trip, like TCP's congestion avoidance. At most MaxGain. LEDBAT++ divides it
	// further on short paths (see the package documentation).
	Gain float64
	// BaseHistory is how many BaseInterval buckets of minimum delay make up the base delay
	// (BASE_HISTORY, RFC 6817 §2.5: 10). A longer route is taken for queuing delay until
	// the buckets from before the change have expired.
	BaseHistory int
	// BaseInterval is one bucket's length; the RFC's is a minute.
	BaseInterval time.Duration
	// CurrentFilter is how many recent samples the current-delay minimum is taken over
	// (CURRENT_FILTER, RFC 6817 §2.5: at least 4 per RTT where the window allows).
	CurrentFilter int
	// InitCwnd and MinCwnd are in MSS (INIT_CWND and MIN_CWND, RFC 6817 §2.5: both 2).
	InitCwnd, MinCwnd int
	// AllowedIncrease bounds how far the window may grow beyond the bytes in flight, in MSS
	// (ALLOWED_INCREASE, RFC 6817 §2.5: 1, and more than 0).
	AllowedIncrease int
	// MSS is the bytes of one full-sized datagram; for PPSPP, one DATA datagram with one
	// chunk and its headers.
	MSS int
	// MaxCwnd caps the window in bytes, so one channel cannot claim unbounded memory.
	MaxCwnd int
	// MinCTO and MaxCTO bound the congestion timeout. RFC 6298 §2.4 rounds an RTO up to
	// 1 s; that is too slow to notice a stalled PPSPP channel on a LAN, so the default floor
	// is 200 ms, the same as Linux TCP's minimum RTO. MaxCTO caps the exponential backoff
	// (RFC 6298 §2.5 allows a cap of 60 s or more).
	MinCTO, MaxCTO time.Duration
	// NoSlowStart turns slow start off. With it on (the default) the window grows by the
	// bytes acknowledged, doubling each round trip as TCP's slow start does, the fastest a
	// LEDBAT flow may ramp up (RFC 6817 §2.4.2: never faster than TCP), until the first loss
	// or until the queuing delay reaches half the target; then the linear LEDBAT rule takes
	// over. Without it a fast path takes one round trip per MSS to fill.
	NoSlowStart bool
	// NoSlowdowns turns off LEDBAT++'s periodic slowdowns (draft §4.4): without them a flow
	// that started later, and took the earlier one's queue for part of the base delay, is
	// not corrected, and a competing flow never sees the link without our queue. Only for
	// tests and measurements; RFC6817 never slows down.
	NoSlowdowns bool
	// MinTarget and FixedTarget: LEDBAT++ aims for a queuing delay of half the path's
	// smallest round trip, but at least MinTarget (default DefaultMinTarget, above the noise
	// of timestamps taken in user space) and at most Target; with FixedTarget it aims for
	// Target whatever the round trip, as the draft does. RFC6817 always aims for Target.
	MinTarget   time.Duration
	FixedTarget bool
}

// DefaultConfig returns the defaults: LEDBAT++ with its 60 ms target, RFC 6817 §2.5's
// recommended values for everything else, an MSS that fits a 1024-byte chunk with PPSPP and
// UDP/IP headers, and a 16 MiB window cap.
func DefaultConfig() Config {
	return Config{
		Variant:         LEDBATPlusPlus,
		Target:          PlusPlusTarget,
		Gain:            1,
		BaseHistory:     10,
		BaseInterval:    time.Minute,
		CurrentFilter:   4,
		InitCwnd:        2,
		MinCwnd:         2,
		AllowedIncrease: 1,
		MSS:             1100,
		MaxCwnd:         16 << 20,
		MinCTO:          200 * time.Millisecond,
		MaxCTO:          60 * time.Second,
		MinTarget:       DefaultMinTarget,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("congestion: invalid config")

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Variant == RFC6817 {
		setDefault(&c.Target, MaxTarget)
	}
	setDefault(&c.Target, d.Target)
	setDefault(&c.Gain, d.Gain)
	setDefault(&c.BaseHistory, d.BaseHistory)
	setDefault(&c.BaseInterval, d.BaseInterval)
	setDefault(&c.CurrentFilter, d.CurrentFilter)
	setDefault(&c.InitCwnd, d.InitCwnd)
	setDefault(&c.MinCwnd, d.MinCwnd)
	setDefault(&c.AllowedIncrease, d.AllowedIncrease)
	setDefault(&c.MSS, d.MSS)
	setDefault(&c.MaxCwnd, d.MaxCwnd)
	setDefault(&c.MinCTO, d.MinCTO)
	setDefault(&c.MaxCTO, d.MaxCTO)
	setDefault(&c.MinTarget, d.MinTarget)
	return c
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate reports the first field that is out of range once defaults are filled in, naming
// it. Call it where configuration enters (the engine's config check) to reject a bad value;
// New itself never fails and clamps instead (see New).
func (c Config) Validate() error {
	c = c.withDefaults()
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrInvalidConfig, field, v, why)
	}
	switch {
	case c.Variant > RFC6817:
		return bad("Variant", c.Variant, "must be LEDBATPlusPlus or RFC6817")
	case c.Target < 0 || c.Target > MaxTarget:
		return bad("Target", c.Target, "must be in (0, 100ms] (RFC 6817 §2.5)")
	case !(c.Gain > 0 && c.Gain <= MaxGain): // also catches NaN
		return bad("Gain", c.Gain, "must be in (0, 1] (RFC 6817 §2.5)")
	case c.BaseHistory < 0:
		return bad("BaseHistory", c.BaseHistory, "must be positive")
	case c.BaseInterval < 0:
		return bad("BaseInterval", c.BaseInterval, "must be positive")
	case c.CurrentFilter < 0:
		return bad("CurrentFilter", c.CurrentFilter, "must be positive")
	case c.MinCwnd < 0:
		return bad("MinCwnd", c.MinCwnd, "must be positive")
	case c.InitCwnd < c.MinCwnd || c.InitCwnd > MaxInitCwnd:
		return bad("InitCwnd", c.InitCwnd, "must be in [MinCwnd, 4] (RFC 6817 §2.5, RFC 5681 §3.1)")
	case c.AllowedIncrease < 0:
		return bad("AllowedIncrease", c.AllowedIncrease, "must be positive (RFC 6817 §2.5)")
	case c.MSS < 0:
		return bad("MSS", c.MSS, "must be positive")
	case c.MaxCwnd < c.MinCwnd*c.MSS:
		return bad("MaxCwnd", c.MaxCwnd, "must be at least MinCwnd·MSS bytes")
	case c.MinTarget < 0 || c.MinTarget > c.Target:
		return bad("MinTarget", c.MinTarget, "must be in (0, Target]")
	case c.MinCTO < 0 || c.MaxCTO < c.MinCTO:
		return bad("MinCTO/MaxCTO", fmt.Sprint(c.MinCTO, "/", c.MaxCTO), "need 0 < MinCTO <= MaxCTO")
	}
	return nil
}

// clamped fills defaults and then moves every out-of-range field to the nearest legal value:
// a Target above 100 ms becomes 100 ms, a Gain above 1 becomes 1, a negative field takes its
// default, and so on. It is what New runs, so a controller is always usable.
func (c Config) clamped() Config {
	d := DefaultConfig()
	neg := func(v *int, def int) {
		if *v < 0 {
			*v = def
		}
	}
	negD := func(v *time.Duration, def time.Duration) {
		if *v < 0 {
			*v = def
		}
	}
	if c.Variant > RFC6817 {
		c.Variant = d.Variant
	}
	if c.Target < 0 {
		c.Target = 0 // the variant's default, below
	}
	if !(c.Gain >= 0) { // negative or NaN
		c.Gain = d.Gain
	}
	neg(&c.BaseHistory, d.BaseHistory)
	negD(&c.BaseInterval, d.BaseInterval)
	neg(&c.CurrentFilter, d.CurrentFilter)
	neg(&c.InitCwnd, d.InitCwnd)
	neg(&c.MinCwnd, d.MinCwnd)
	neg(&c.AllowedIncrease, d.AllowedIncrease)
	neg(&c.MSS, d.MSS)
	neg(&c.MaxCwnd, d.MaxCwnd)
	negD(&c.MinCTO, d.MinCTO)
	negD(&c.MaxCTO, d.MaxCTO)
	negD(&c.MinTarget, d.MinTarget)

	c = c.withDefaults()
	c.Target = min(c.Target, MaxTarget)
	c.Gain = min(c.Gain, MaxGain)
	c.InitCwnd = max(min(c.InitCwnd, MaxInitCwnd), c.MinCwnd)
	c.MaxCwnd = max(c.MaxCwnd, c.InitCwnd*c.MSS, c.MinCwnd*c.MSS)
	c.MaxCTO = max(c.MaxCTO, c.MinCTO)
	c.MinTarget = min(c.MinTarget, c.Target)
	return c
}
