package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// rateUnits are the suffixes a rate may carry, longest first so that "KiB" is tried before
// "B". SI prefixes count in thousands, IEC prefixes (Ki, Mi, Gi) in 1024s; the quantity is
// always bytes, never bits, so "1MB" is 1 000 000 bytes per second.
var rateUnits = []struct {
	suffix string
	factor float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
	// A lone k, m or g is the binary unit (KiB, MiB, GiB), as in the CMD gateway's LIMIT
	// and in curl's --limit-rate.
	{"k", 1 << 10}, {"K", 1 << 10}, {"m", 1 << 20}, {"M", 1 << 20}, {"g", 1 << 30}, {"G", 1 << 30},
}

// ParseRate reads a rate limit such as "0", "512KiB", "1.5MB" or "1MiB/s" as bytes per second.
// No suffix means bytes; an optional "/s" is accepted because that is what a rate is. "0" and
// "" mean no limit and return 0.
func ParseRate(s string) (float64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, "/s")
	if t == "" {
		return 0, nil
	}
	factor := 1.0
	for _, u := range rateUnits {
		if strings.HasSuffix(t, u.suffix) {
			factor = u.factor
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	// The product is checked too: "1e308GiB" is a finite number of GiB but no finite number
	// of bytes, and an infinite rate would reach the limiters (and their burst sizes).
	if err != nil || n < 0 || math.IsInf(n*factor, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("rate %q: want bytes per second such as \"0\" (no limit), \"512KiB\", \"2m\" or \"1.5MB\"", s)
	}
	return n * factor, nil
}
