package units

import (
	"math"
	"testing"
)

func TestBytes(t *testing.T) {
	for in, want := range map[float64]string{
		0:               "0 B",
		-1:              "0 B",
		math.NaN():      "0 B",
		1:               "1 B",
		1023:            "1023 B",
		1023.6:          "1.0 KiB",
		1536:            "1.5 KiB",
		1 << 20:         "1.0 MiB",
		(1 << 20) - 10:  "1.0 MiB", // would print as 1024.0 KiB
		2.5 * (1 << 30): "2.5 GiB",
		math.Inf(1):     "∞ EiB",
	} {
		if got := Bytes(in); got != want {
			t.Errorf("Bytes(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestRate(t *testing.T) {
	if got := Rate(2 << 20); got != "2.0 MiB/s" {
		t.Fatalf("Rate(2 MiB) = %q", got)
	}
}
