package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

// cmdAddrEnv names the environment variable that overrides the CMD gateway address for
// the client subcommands (add, ls, rm, limit).
const cmdAddrEnv = "PPSPPD_CMD"

// addCmdFlag gives a client subcommand its --cmd flag: the running daemon's CMD gateway.
func addCmdFlag(cmd *cobra.Command) *string {
	def := os.Getenv(cmdAddrEnv)
	if def == "" {
		def = cmdgw.DefaultAddr
	}
	addr := new(string)
	cmd.Flags().StringVar(addr, "cmd", def, "address of the running daemon's CMD gateway (env "+cmdAddrEnv+")")
	return addr
}

// callDaemon sends one ppsppd command line to the daemon at addr and returns its reply
// lines. A refused connection comes back as the "no daemon is running" message.
func callDaemon(ctx context.Context, addr, line string) ([]string, error) {
	c, err := cmdgw.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := c.Do(ctx, line)
	if err != nil {
		return nil, fmt.Errorf("daemon at %s: %w", addr, err)
	}
	return reply, nil
}

// oneToken refuses arguments that would split into several protocol words (the line
// protocol separates arguments with spaces, as libswift's did).
func oneToken(what, s string) error {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%s %q: must be one word without spaces or control characters", what, s)
	}
	return nil
}
