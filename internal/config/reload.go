package config

import (
	"reflect"
	"slices"
	"strings"
)

// Reload is what a reread configuration file changes in a running daemon.
type Reload struct {
	// Config is the running configuration with the live-reloadable changes applied; every
	// other key keeps its running value, so Config describes what the daemon actually does.
	Config Config
	// Applied lists the changed keys that take effect now, sorted.
	Applied []string
	// NotReloaded lists the changed keys that only a restart applies, sorted: sockets,
	// directories, seeded files. serve logs them so an edit is never silently ignored.
	NotReloaded []string
}

// liveKeys are the keys a running daemon can apply without a restart: the logger's level is
// a zap.AtomicLevel, the rate limiters take a new rate at any time, and a running booster
// takes new sources and limits (booster.enabled needs a restart). Sorted.
var liveKeys = []string{
	"booster.dir", "booster.feeds", "booster.interval", "booster.max_bytes", "booster.max_swarms",
	"booster.seed_ratio", "booster.seed_time",
	"limits.download", "limits.swarm_download", "limits.swarm_upload", "limits.upload", "log.level",
}

// applyLive copies the live keys from next into c. It must cover exactly liveKeys; a test
// changes every key and checks that.
func (c *Config) applyLive(next Config) {
	c.Log.Level = next.Log.Level
	c.Limits = next.Limits
	enabled := c.Booster.Enabled
	c.Booster = next.Booster
	c.Booster.Enabled = enabled
}

// Diff compares the running configuration with a newly loaded one (both validated).
func Diff(running, next Config) Reload {
	r := Reload{Config: running}
	r.Config.applyLive(next)
	for _, key := range changedKeys(running, next) {
		if slices.Contains(liveKeys, key) {
			r.Applied = append(r.Applied, key)
		} else {
			r.NotReloaded = append(r.NotReloaded, key)
		}
	}
	return r
}

// ReloadFile loads path (over the built-in defaults, as at start-up) and compares it with
// the running configuration. An invalid file changes nothing: the error says why and the
// daemon keeps running as it was.
func ReloadFile(path string, running Config) (Reload, error) {
	next, err := Load(path)
	if err != nil {
		return Reload{Config: running}, err
	}
	return Diff(running, next), nil
}

// changedKeys lists the dotted keys whose values differ, sorted. It walks the toml tags, so
// a key added to Config is compared without touching this code (and, not being in
// liveKeys, is reported as needing a restart until someone makes it live).
func changedKeys(a, b Config) []string {
	var keys []string
	var walk func(prefix string, x, y reflect.Value)
	walk = func(prefix string, x, y reflect.Value) {
		t := x.Type()
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
			if name == "" || name == "-" {
				continue
			}
			fx, fy := x.Field(i), y.Field(i)
			if fx.Kind() == reflect.Struct {
				walk(prefix+name+".", fx, fy)
				continue
			}
			if fx.Kind() == reflect.Slice && fx.Len() == 0 && fy.Len() == 0 {
				continue // nil and [] say the same thing
			}
			if !reflect.DeepEqual(fx.Interface(), fy.Interface()) {
				keys = append(keys, prefix+name)
			}
		}
	}
	walk("", reflect.ValueOf(a), reflect.ValueOf(b))
	slices.Sort(keys)
	return keys
}
