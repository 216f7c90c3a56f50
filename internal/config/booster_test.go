package config

import (
	"strings"
	"testing"
	"time"
)

// TestBoosterDefaults: the built-in [booster] is off, with the documented limits.
func TestBoosterDefaults(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	b := c.Booster
	if b.Enabled || len(b.Feeds) != 0 || b.Dir != "" || b.MaxSwarms != 20 {
		t.Fatalf("default [booster] = %+v", b)
	}
	if v := b.Values(); v.Interval != 5*time.Minute || v.MaxBytes != 10<<30 || v.SeedTime != 0 {
		t.Fatalf("default values = %+v", v)
	}
}

func TestBoosterValidation(t *testing.T) {
	good := "[booster]\nenabled = true\nfeeds = [\"http://127.0.0.1:8080/feed.xml\"]\ninterval = \"30s\"\nmax_bytes = \"1.5GiB\"\nseed_time = \"48h\"\nseed_ratio = 2.5\n"
	c, err := Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Booster.Values(); v.Interval != 30*time.Second || v.MaxBytes != 3<<29 || v.SeedTime != 48*time.Hour || c.Booster.SeedRatio != 2.5 {
		t.Fatalf("values = %+v", v)
	}
	for body, key := range map[string]string{
		"[booster]\nfeeds = [\"ftp://x/feed\"]\n": "booster.feeds[0]",
		"[booster]\nfeeds = [\"not a url\"]\n":    "booster.feeds[0]",
		"[booster]\ninterval = \"soon\"\n":        "booster.interval",
		"[booster]\ninterval = \"10ms\"\n":        "booster.interval",
		"[booster]\nseed_time = \"-1h\"\n":        "booster.seed_time",
		"[booster]\nmax_bytes = \"lots\"\n":       "booster.max_bytes",
		"[booster]\nmax_swarms = -1\n":            "booster.max_swarms",
		"[booster]\nseed_ratio = -1.0\n":          "booster.seed_ratio",
		"[booster]\nenabled = true\n":             "booster.enabled",
		"[booster]\nseed_ratio = \"2\"\n":         "booster.seed_ratio",
	} {
		if _, err := Load(write(t, body)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: err = %v, want one naming %s", body, err, key)
		}
	}
}

// TestBoosterReload: a SIGHUP applies changed [booster] sources and limits; turning the
// booster on or off needs a restart.
func TestBoosterReload(t *testing.T) {
	running, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	next := running
	next.Booster.Feeds = []string{"http://127.0.0.1:1/feed"}
	next.Booster.MaxSwarms = 3
	next.Booster.Enabled = true
	r := Diff(running, next)
	if strings.Join(r.Applied, ",") != "booster.feeds,booster.max_swarms" || strings.Join(r.NotReloaded, ",") != "booster.enabled" {
		t.Fatalf("applied %v, needs restart %v", r.Applied, r.NotReloaded)
	}
	if r.Config.Booster.Enabled || r.Config.Booster.MaxSwarms != 3 || len(r.Config.Booster.Feeds) != 1 {
		t.Fatalf("reloaded [booster] = %+v", r.Config.Booster)
	}
}
