package config

import (
	"context"
	"errors"
	"math"
	"net"
	"reflect"
	"slices"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"github.com/ppsppd/ppsppd/configs"
)

// errNoNetwork is what name lookups get while fuzzing: a fuzzed listen address may name any
// host, and resolving it must not send a DNS query off this machine.
var errNoNetwork = errors.New("fuzzing: no DNS")

// FuzzDecode decodes arbitrary bytes as a configuration file over the built-in defaults, as
// Load does. It must never panic; a decode error must say something; and a file that decodes
// and validates must validate consistently: validating the result again changes nothing, its
// rates are usable numbers, and writing it out as TOML and loading that again gives the same
// configuration, which validates too.
func FuzzDecode(f *testing.F) {
	// Names resolve from /etc/hosts only: Validate resolves listen addresses, and a fuzzed
	// host name must neither reach a DNS server nor make runs depend on one.
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errNoNetwork
	}}
	f.Cleanup(func() { net.DefaultResolver = saved })
	f.Setenv("STATE_DIRECTORY", "/var/lib/ppsppd") // derived directories independent of the host

	f.Add(configs.Default)
	f.Fuzz(func(t *testing.T, raw []byte) {
		c := defaults(t)
		if err := decode(raw, &c); err != nil {
			if err.Error() == "" {
				t.Fatal("decode error with an empty message")
			}
			return
		}
		if err := c.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("validation error with an empty message")
			}
			return
		}
		again := cloneConfig(c)
		if err := again.Validate(); err != nil {
			t.Fatalf("valid configuration fails a second validation: %v\n%+v", err, c)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("a second validation changed the configuration:\n%+v\n%+v", c, again)
		}
		r := c.Limits.Rates()
		for _, v := range []float64{r.Upload, r.Download, r.SwarmUpload, r.SwarmDownload} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("limits %+v give rates %+v", c.Limits, r)
			}
		}

		out, err := toml.Marshal(c)
		if err != nil {
			t.Fatalf("valid configuration does not encode: %v\n%+v", err, c)
		}
		back := defaults(t)
		if err := decode(out, &back); err != nil {
			t.Fatalf("encoded configuration does not decode: %v\n%s", err, out)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("encoded configuration does not validate: %v\n%s", err, out)
		}
		if keys := changedKeys(c, back); len(keys) > 0 {
			t.Fatalf("written out and read back, %v changed:\n%+v\n%+v\n%s", keys, c, back, out)
		}
		if d := Diff(c, back); len(d.Applied)+len(d.NotReloaded) > 0 {
			t.Fatalf("reloading the same configuration changes %v %v", d.Applied, d.NotReloaded)
		}
	})
}

// defaults decodes the built-in file into a fresh Config, as Load starts.
func defaults(t *testing.T) Config {
	t.Helper()
	var c Config
	if err := decode(configs.Default, &c); err != nil {
		t.Fatalf("built-in defaults: %v", err)
	}
	return c
}

// cloneConfig copies c so that validating the copy cannot touch c.
func cloneConfig(c Config) Config {
	c.Seed.Paths = slices.Clone(c.Seed.Paths)
	return c
}
