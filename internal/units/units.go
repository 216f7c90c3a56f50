// Package units writes byte counts and rates for people, in one style everywhere (the CLI,
// the CMD gateway's replies, systemd's STATUS line): binary units (KiB, MiB, ...), as
// ls -h and curl do, and as the rate limits are read (config.ParseRate: "2m" is 2 MiB/s).
package units

import (
	"fmt"
	"math"
)

var binaryUnits = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// Bytes writes n bytes: "512 B", "1.5 KiB", "3.2 GiB". A value that would round up to
// 1024.0 of one unit is written in the next (1.0 MiB, not 1024.0 KiB). A negative or NaN
// value (a bad sample) is written as 0 B.
func Bytes(n float64) string {
	if !(n > 0) {
		return "0 B"
	}
	if n < 1023.5 {
		return fmt.Sprintf("%.0f B", n)
	}
	v, i := n/1024, 0
	for v >= 1023.95 && i < len(binaryUnits)-1 {
		v /= 1024
		i++
	}
	if math.IsInf(v, 0) {
		return "∞ " + binaryUnits[i]
	}
	return fmt.Sprintf("%.1f %s", v, binaryUnits[i])
}

// Rate writes bytes per second, as Bytes does with "/s".
func Rate(bps float64) string { return Bytes(bps) + "/s" }
