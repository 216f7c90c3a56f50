package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	"github.com/ppsppd/ppsppd/internal/units"
)

// clientTimeout bounds the quick client commands (ls, rm, limit), so a wedged daemon
// cannot hang a script.
const clientTimeout = 30 * time.Second

func newLsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ls [ID]",
		Short: "List the running daemon's swarms",
		Example: `  ppsppd ls
  ppsppd ls f86b2d68d56e7457f1be8d35c7f492a228c3aa45`,
		Long: `List the swarms the running daemon holds (or the one named): swarm ID, state, progress,
download and upload rates, established peers, and why a swarm waits or failed.`,
		Args: cobra.MaximumNArgs(1),
	}
	addr := addCmdFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		line := "LIST"
		if len(args) == 1 {
			if err := oneToken("swarm ID", args[0]); err != nil {
				return err
			}
			line += " " + args[0]
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), clientTimeout)
		defer cancel()
		reply, err := callDaemon(ctx, *addr, line)
		if err != nil {
			return err
		}
		if len(reply) == 0 {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "no swarms")
			return err
		}
		tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tPROGRESS\tDOWN\tUP\tPEERS\tNOTE")
		for _, l := range reply {
			s, err := cmdgw.ParseSwarmLine(l)
			if err != nil {
				return fmt.Errorf("daemon at %s: %w", *addr, err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.State, swarmProgress(s), units.Rate(s.DownRate), units.Rate(s.UpRate), s.Peers, s.Note)
		}
		return tw.Flush()
	}
	return cmd
}

// swarmProgress is have/size with a percentage when the size is known.
func swarmProgress(s cmdgw.SwarmInfo) string {
	if strings.HasPrefix(s.Note, "live") {
		// A live stream has no size: have is how far it has come (its SWARM note says live).
		return fmt.Sprintf("live, %d bytes so far", s.Have)
	}
	if s.Size <= 0 {
		return fmt.Sprintf("%d/? bytes", s.Have)
	}
	return fmt.Sprintf("%d/%d bytes (%.1f%%)", s.Have, s.Size, 100*float64(s.Have)/float64(s.Size))
}
