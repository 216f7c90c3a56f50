package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	"github.com/ppsppd/ppsppd/internal/units"
)

func newLimitCmd() *cobra.Command {
	var up, down string
	cmd := &cobra.Command{
		Use:   "limit [ID|global]",
		Short: "Show or set the running daemon's rate limits (global or per swarm)",
		Long: `Show the upload and download caps of the daemon (global, the default) or of one swarm,
or change them with --up and --down. Rates are bytes per second with an optional k, m or g
suffix (KiB/s, MiB/s, GiB/s) or a unit (512KiB, 1.5MB); 0 removes the cap.`,
		Example: `  ppsppd limit --down 2m
  ppsppd limit f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --up 512k`,
		Args: cobra.MaximumNArgs(1),
	}
	addr := addCmdFlag(cmd)
	cmd.Flags().StringVar(&up, "up", "", "upload cap (bytes/s, k/m/g suffix; 0 = none)")
	cmd.Flags().StringVar(&down, "down", "", "download cap (bytes/s, k/m/g suffix; 0 = none)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		line := []string{"LIMIT"}
		if len(args) == 1 {
			if err := oneToken("swarm ID", args[0]); err != nil {
				return err
			}
			line = append(line, args[0])
		}
		for _, f := range []struct{ name, val string }{{"up", up}, {"down", down}} {
			if !cmd.Flags().Changed(f.name) {
				continue
			}
			if _, err := cmdgw.ParseRate(f.val); err != nil {
				return fmt.Errorf("--%s: %w", f.name, err)
			}
			line = append(line, f.name+"="+f.val)
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), clientTimeout)
		defer cancel()
		reply, err := callDaemon(ctx, *addr, strings.Join(line, " "))
		if err != nil {
			return err
		}
		for _, l := range reply {
			var who string
			var u, d float64
			if _, err := fmt.Sscanf(l, "LIMIT %s up=%g down=%g", &who, &u, &d); err != nil {
				return fmt.Errorf("daemon at %s: reply %q: %w", *addr, l, err)
			}
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: up %s, down %s\n", who, capText(u), capText(d)); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func capText(v float64) string {
	if v == 0 {
		return "no cap"
	}
	return units.Rate(v)
}
