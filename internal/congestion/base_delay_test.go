package congestion

import (
	"testing"
	"time"
)

// With the RFC's 10 one-minute buckets, a minimum is remembered for 9 to 10 minutes after
// the minute it was seen in, then forgotten.
func TestBaseDelayExpiry(t *testing.T) {
	b := newBaseDelay(10, time.Minute, epoch)
	at := func(d time.Duration) time.Time { return epoch.Add(d) }
	b.add(at(30*time.Second), 20*ms) // in the first bucket [0, 1min)
	for m := 1; m < 10; m++ {
		b.add(at(time.Duration(m)*time.Minute+time.Second), 70*ms)
		if got, _ := b.value(); got != 20*ms {
			t.Fatalf("minute %d: base %v, want 20ms still", m, got)
		}
	}
	b.add(at(10*time.Minute), 70*ms) // rolls the first bucket out
	if got, _ := b.value(); got != 70*ms {
		t.Errorf("after 10 minutes base %v, want 70ms", got)
	}
	b.add(at(10*time.Minute+time.Second), 15*ms)
	if got, _ := b.value(); got != 15*ms {
		t.Errorf("a lower sample gives base %v, want 15ms at once", got)
	}
}

// Buckets roll by elapsed time, so silence ages the history too.
func TestBaseDelayIdle(t *testing.T) {
	tests := []struct {
		name string
		gap  time.Duration
		want time.Duration
	}{
		{"short gap keeps the minimum", 5 * time.Minute, 20 * ms},
		{"gap just under the history", 9*time.Minute + 59*time.Second, 20 * ms},
		{"gap of the whole history forgets it", 10 * time.Minute, 90 * ms},
		{"very long gap", 1000 * time.Hour, 90 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBaseDelay(10, time.Minute, epoch)
			b.add(epoch, 20*ms)
			b.add(epoch.Add(tt.gap), 90*ms)
			if got, ok := b.value(); !ok || got != tt.want {
				t.Errorf("base %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
}

func TestBaseDelayEmpty(t *testing.T) {
	b := newBaseDelay(10, time.Minute, epoch)
	if _, ok := b.value(); ok {
		t.Error("an empty history reports a base delay")
	}
	b.add(epoch, -3*time.Second) // offsets may make samples negative
	if got, ok := b.value(); !ok || got != -3*time.Second {
		t.Errorf("base %v (%v), want -3s", got, ok)
	}
}
