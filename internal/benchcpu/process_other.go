//go:build !unix

package benchcpu

import "time"

// Process reports false: this platform's CPU time is not read here.
func Process() (time.Duration, bool) { return 0, false }
