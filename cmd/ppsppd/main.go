// Command ppsppd is a PPSPP (RFC 7574) peer. Each subcommand lives in its own file; this one
// only builds the command tree and maps errors to the exit status (usage.go).
package main

import (
	"fmt"
	"os"
)

func main() {
	cmd, err := newRootCmd().ExecuteC()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "ppsppd:", err)
	status := exitStatus(err)
	if isUsage(err) && cmd != nil {
		fmt.Fprintf(os.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	os.Exit(status)
}
