//go:build !unix

package live

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
