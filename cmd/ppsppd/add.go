package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

func newAddCmd() *cobra.Command {
	var (
		peers []string
		dest  string
	)
	cmd := &cobra.Command{
		Use:   "add FILE|DIR|URL|ID",
		Short: "Ask the running daemon to seed a file or directory, or to download (then seed) a swarm",
		Long: `Ask the running daemon (over its CMD gateway) to seed a local FILE, or to download a swarm
given as a tswift: URL or a swarm ID in hex and to seed it once complete.

A FILE must lie inside the daemon's content directory or one of its [seed] paths (so that
no client of the CMD port can make the daemon publish other files it can read). A DIR there
becomes one multi-file swarm (libswift's layout, as ppsppd seed DIR); a downloaded
multi-file swarm's files are written beside its content file once it completes.
Peers to contact come from the URL and from --peer. --dest places downloaded content
inside the daemon's content directory (paths that lead outside it are refused).

A live stream's URL or ID (ppsppd live and ppsppd keygen print them) is joined as a peer:
the daemon relays it and its HTTP gateway plays it; it is kept in memory (its discard window
only), so --dest does not apply, and it is not rejoined after a restart.`,
		Example: `  ppsppd add ~/.local/state/ppsppd/content/movie.mp4
  ppsppd add tswift://127.0.0.1:6778/f86b2d68d56e7457f1be8d35c7f492a228c3aa45
  ppsppd add f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --peer 127.0.0.1:6778 --dest videos/
  ppsppd add tswift://192.0.2.7:6778/0d2f...   # a live stream (ppsppd live prints the URL)`,
		Args: cobra.ExactArgs(1),
	}
	addr := addCmdFlag(cmd)
	cmd.Flags().StringArrayVar(&peers, "peer", nil, "a peer to contact, HOST:PORT (repeatable)")
	cmd.Flags().StringVar(&dest, "dest", "", "where the content goes, inside the daemon's content directory")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := oneToken("swarm", args[0]); err != nil {
			return err
		}
		line := []string{"ADD", args[0]}
		if fi, err := os.Stat(args[0]); err == nil && (fi.Mode().IsRegular() || fi.IsDir()) {
			abs, err := filepath.Abs(args[0])
			if err != nil {
				return err
			}
			if err := oneToken("file", abs); err != nil {
				return err
			}
			line = []string{"SEED", abs}
		}
		for _, p := range peers {
			if err := oneToken("--peer", p); err != nil {
				return err
			}
			line = append(line, "peer="+p)
		}
		if dest != "" {
			if err := oneToken("--dest", dest); err != nil {
				return err
			}
			line = append(line, "dest="+dest)
		}
		reply, err := callDaemon(cmd.Context(), *addr, strings.Join(line, " "))
		if err != nil {
			return err
		}
		for _, l := range reply {
			s, err := cmdgw.ParseSwarmLine(l)
			if err != nil {
				return fmt.Errorf("daemon at %s: %w", *addr, err)
			}
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", s.ID, s.State, swarmProgress(s)); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}
