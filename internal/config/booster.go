package config

import (
	"fmt"
	"net/url"
	"time"
)

// Booster is the [booster] table: feeds and a directory watched for swarm links, which
// the daemon downloads and seeds within limits (internal/booster). Off by default.
type Booster struct {
	Enabled bool     `toml:"enabled"`
	Feeds   []string `toml:"feeds"` // RSS, Atom or JSON Feed URLs (http or https)
	Dir     string   `toml:"dir"`   // a directory of text files; "" for none
	// Interval is how often each feed and the directory are checked (a Go duration).
	Interval  string  `toml:"interval"`
	MaxSwarms int     `toml:"max_swarms"` // 0: no limit
	MaxBytes  string  `toml:"max_bytes"`  // a size such as "10GiB"; "0": no limit
	SeedTime  string  `toml:"seed_time"`  // a duration; "0": seed until another limit applies
	SeedRatio float64 `toml:"seed_ratio"` // 0: no ratio goal
}

// BoosterValues are the [booster] table's durations and sizes as numbers.
type BoosterValues struct {
	Interval, SeedTime time.Duration
	MaxBytes           int64
}

// Values parses the durations and sizes; Validate has rejected anything unparsable.
func (b Booster) Values() BoosterValues {
	iv, _ := parseDuration(b.Interval)
	st, _ := parseDuration(b.SeedTime)
	mb, _ := ParseRate(b.MaxBytes) // same units as a rate, without the "/s"
	return BoosterValues{Interval: iv, SeedTime: st, MaxBytes: int64(mb)}
}

// parseDuration reads a Go duration; "0" and "" are zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration such as \"90s\", \"5m\" or \"24h\"")
	}
	return d, nil
}

// validateBooster checks the [booster] table whether or not it is enabled.
func (c *Config) validateBooster() error {
	b := c.Booster
	for i, f := range b.Feeds {
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("booster.feeds[%d] = %q: want an http:// or https:// URL", i, f)
		}
	}
	iv, err := parseDuration(b.Interval)
	if err != nil {
		return fmt.Errorf("booster.interval = %q: %w", b.Interval, err)
	}
	if iv < time.Second {
		return fmt.Errorf("booster.interval = %q: want at least 1s", b.Interval)
	}
	if _, err := parseDuration(b.SeedTime); err != nil {
		return fmt.Errorf("booster.seed_time = %q: %w", b.SeedTime, err)
	}
	if _, err := ParseRate(b.MaxBytes); err != nil {
		return fmt.Errorf("booster.max_bytes = %q: want a size such as \"0\" (no limit), \"500MiB\" or \"10GiB\"", b.MaxBytes)
	}
	if b.MaxSwarms < 0 {
		return fmt.Errorf("booster.max_swarms = %d: want 0 (no limit) or more", b.MaxSwarms)
	}
	if b.SeedRatio < 0 || b.SeedRatio != b.SeedRatio {
		return fmt.Errorf("booster.seed_ratio = %v: want 0 (none) or more", b.SeedRatio)
	}
	if b.Enabled && len(b.Feeds) == 0 && b.Dir == "" {
		return fmt.Errorf("booster.enabled = true with neither booster.feeds nor booster.dir: nothing to watch")
	}
	return nil
}
