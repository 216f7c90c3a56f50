package congestion

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		field string // "" if valid
	}{
		{"zero is the defaults", Config{}, ""},
		{"defaults", DefaultConfig(), ""},
		{"live-stream target", Config{Target: 25 * time.Millisecond}, ""},
		{"target at the limit", Config{Target: 100 * time.Millisecond}, ""},
		{"target above 100ms", Config{Target: 101 * time.Millisecond}, "Target"},
		{"negative target", Config{Target: -time.Millisecond}, "Target"},
		{"gain below 1", Config{Gain: 0.5}, ""},
		{"gain above 1", Config{Gain: 1.5}, "Gain"},
		{"NaN gain", Config{Gain: math.NaN()}, "Gain"},
		{"negative history", Config{BaseHistory: -1}, "BaseHistory"},
		{"negative interval", Config{BaseInterval: -time.Second}, "BaseInterval"},
		{"negative filter", Config{CurrentFilter: -4}, "CurrentFilter"},
		{"init below min", Config{InitCwnd: 2, MinCwnd: 3}, "InitCwnd"},
		{"init above TCP's", Config{InitCwnd: 10}, "InitCwnd"},
		{"negative allowed increase", Config{AllowedIncrease: -1}, "AllowedIncrease"},
		{"negative MSS", Config{MSS: -1}, "MSS"},
		{"max below min", Config{MaxCwnd: 1000}, "MaxCwnd"},
		{"CTO bounds crossed", Config{MinCTO: 2 * time.Second, MaxCTO: time.Second}, "MinCTO"},
		{"RFC 6817", Config{Variant: RFC6817}, ""},
		{"unknown variant", Config{Variant: 7}, "Variant"},
		{"min target above target", Config{Target: 10 * time.Millisecond, MinTarget: 20 * time.Millisecond}, "MinTarget"},
		{"negative min target", Config{MinTarget: -time.Millisecond}, "MinTarget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.field != "" && err == nil:
				t.Errorf("Validate() = nil, want an error naming %s", tt.field)
			case tt.field != "" && (!errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.field)):
				t.Errorf("Validate() = %v, want ErrInvalidConfig naming %s", err, tt.field)
			}
		})
	}
}

// New never fails: it clamps what Validate rejects.
func TestNewClamps(t *testing.T) {
	d := DefaultConfig()
	tests := []struct {
		name  string
		cfg   Config
		check func(Config) bool
	}{
		{"target above 100ms becomes 100ms", Config{Target: time.Second}, func(c Config) bool { return c.Target == MaxTarget }},
		{"live target kept", Config{Target: 25 * time.Millisecond}, func(c Config) bool { return c.Target == 25*time.Millisecond }},
		{"gain above 1 becomes 1", Config{Gain: 3}, func(c Config) bool { return c.Gain == 1 }},
		{"NaN gain takes the default", Config{Gain: math.NaN()}, func(c Config) bool { return c.Gain == d.Gain }},
		{"negative fields take defaults", Config{BaseHistory: -1, MSS: -1, MinCTO: -1}, func(c Config) bool {
			return c.BaseHistory == d.BaseHistory && c.MSS == d.MSS && c.MinCTO == d.MinCTO
		}},
		{"init cwnd capped at 4", Config{InitCwnd: 40}, func(c Config) bool { return c.InitCwnd == MaxInitCwnd }},
		{"init cwnd raised to min", Config{InitCwnd: 1, MinCwnd: 3}, func(c Config) bool { return c.InitCwnd == 3 }},
		{"max cwnd raised to hold the initial window", Config{MaxCwnd: 10}, func(c Config) bool { return c.MaxCwnd == 2*d.MSS }},
		{"LEDBAT++ by default, 60 ms target", Config{}, func(c Config) bool { return c.Variant == LEDBATPlusPlus && c.Target == PlusPlusTarget }},
		{"RFC 6817's target is 100 ms", Config{Variant: RFC6817}, func(c Config) bool { return c.Target == MaxTarget }},
		{"unknown variant takes the default", Config{Variant: 9}, func(c Config) bool { return c.Variant == LEDBATPlusPlus }},
		{"min target lowered to the target", Config{Target: 10 * time.Millisecond, MinTarget: 20 * time.Millisecond}, func(c Config) bool {
			return c.MinTarget == 10*time.Millisecond
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.cfg, epoch)
			got := l.Config()
			if !tt.check(got) {
				t.Errorf("New(%+v).Config() = %+v", tt.cfg, got)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the clamped config does not validate: %v", err)
			}
		})
	}
}
