// Command ppsppd is a PPSPP (RFC 7574) peer. Each subcommand lives in its own file; this one
// only builds the command tree and maps errors to the exit status.
package main

import (
	"errors"
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ppsppd:", err)
		if errors.As(err, new(configError)) {
			os.Exit(exitConfig)
		}
		os.Exit(1)
	}
}
