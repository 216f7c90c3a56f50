//go:build !unix

package livesig

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
