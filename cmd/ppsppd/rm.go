package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newRmCmd() *cobra.Command {
	var del bool
	cmd := &cobra.Command{
		Use:   "rm ID",
		Short: "Remove a swarm from the running daemon",
		Example: `  ppsppd rm f86b2d68d56e7457f1be8d35c7f492a228c3aa45
  ppsppd rm f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --delete`,
		Long: `Stop downloading and seeding a swarm. The content and its state files stay on disk unless
--delete is given.`,
		Args: cobra.ExactArgs(1),
	}
	addr := addCmdFlag(cmd)
	cmd.Flags().BoolVar(&del, "delete", false, "also delete the content and its state files")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := oneToken("swarm ID", args[0]); err != nil {
			return err
		}
		line := "RM " + args[0]
		if del {
			line += " delete"
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), clientTimeout)
		defer cancel()
		if _, err := callDaemon(ctx, *addr, line); err != nil {
			return err
		}
		what := "removed"
		if del {
			what = "removed and deleted"
		}
		_, err := fmt.Fprintln(cmd.OutOrStdout(), what, args[0])
		return err
	}
	return cmd
}
