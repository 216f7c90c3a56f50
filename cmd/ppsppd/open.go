package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// playerEnv names the environment variable that chooses the player `open` starts.
const playerEnv = "PPSPPD_PLAYER"

func newOpenCmd() *cobra.Command {
	var (
		timeout     time.Duration
		startDaemon bool
		cfgPath     string
	)
	cmd := &cobra.Command{
		Use:   "open LINK",
		Short: "Play a swarm: have the running daemon fetch it, wait until it can play, start a player",
		Long: `Play the swarm a link names. LINK is a tswift:// or ppsp:// link (ppsp:// has
tswift://'s form) or a bare swarm ID in hex. The running daemon is asked over its
CMD gateway to start the swarm (START, as libswift's clients do); once it reports the swarm
playable (PLAY: 256 KiB, or all of it, verified), a player is started on the daemon's HTTP
gateway URL for the swarm, and open waits for it to exit.

The player is $` + playerEnv + ` (split into words like a shell would, the URL appended), else mpv or
vlc when on PATH, else xdg-open on the swarm's /watch page (a browser).

With no daemon running, open says so and fails, unless --start-daemon is given: then it
starts ` + "`ppsppd serve`" + ` (with --config, if given) in the background, prints its PID and log file,
and leaves it running (stop it with kill PID). The daemon keeps the swarm after open ends,
seeding it; ` + "`ppsppd rm`" + ` removes it. This is the command deploy/xdg/ppsppd.desktop runs for
tswift: and ppsp: links.`,
		Example: `  ppsppd open tswift://127.0.0.1:6778/f86b2d68d56e7457f1be8d35c7f492a228c3aa45
  ppsppd open ppsp://seeder.example:6778/f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --timeout 2m
  PPSPPD_PLAYER="mpv --fs" ppsppd open f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --start-daemon`,
		Args: cobra.ExactArgs(1),
	}
	addr := addCmdFlag(cmd)
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the swarm to become playable")
	cmd.Flags().BoolVar(&startDaemon, "start-daemon", false, "when no daemon runs, start one (ppsppd serve) in the background")
	cmd.Flags().StringVar(&cfgPath, "config", "", "with --start-daemon: the configuration file the daemon runs with")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		link, l, err := openLink(args[0])
		if err != nil {
			return usageError{err}
		}
		if timeout <= 0 {
			return usagef("--timeout %v: must be positive", timeout)
		}
		if cfgPath != "" && !startDaemon {
			return usagef("--config is for the daemon --start-daemon starts")
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()

		c, err := dialOrStart(ctx, cmd, *addr, startDaemon, cfgPath)
		if err != nil {
			return err
		}
		defer c.Close()
		hexID := fmt.Sprintf("%x", l.SwarmID)
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		playURL, err := waitPlayable(wctx, c, link, hexID, cmd.ErrOrStderr())
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return interruptedError{fmt.Errorf("interrupted while waiting for swarm %s (the daemon keeps it; `ppsppd rm %s` removes it)", hexID, hexID)}
			case errors.Is(err, context.DeadlineExceeded):
				return fmt.Errorf("swarm %s not playable after %v: %s (the daemon keeps it; `ppsppd rm %s` removes it)",
					hexID, timeout, swarmSituation(ctx, c, hexID), hexID)
			}
			return err
		}
		p, err := choosePlayer(os.Getenv(playerEnv), playURL, hexID)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(cmd.OutOrStdout(), p.url); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "playing with %s\n", strings.Join(p.argv, " "))
		return runPlayer(ctx, p)
	}
	return cmd
}

// openLink reads LINK: a tswift: or ppsp: link or a bare swarm ID, as swarmurl reads them
// (and as the daemon's START does). It returns the link to send to the daemon and the
// parsed link.
func openLink(arg string) (string, swarmurl.Link, error) {
	link := strings.TrimSpace(arg)
	l, err := swarmurl.Parse(link)
	if err != nil {
		return "", l, err
	}
	if err := oneToken("link", link); err != nil {
		return "", l, err
	}
	return link, l, nil
}

// swarmSituation describes, for a swarm that did not become playable, where it is and why
// it waits (the LIST line's note), asked on the same connection.
func swarmSituation(parent context.Context, c *cmdgw.Client, hexID string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), 5*time.Second)
	defer cancel()
	reply, err := c.Do(ctx, "LIST "+hexID)
	if err != nil || len(reply) == 0 {
		return "no status from the daemon"
	}
	s, err := cmdgw.ParseSwarmLine(reply[0])
	if err != nil {
		return "no status from the daemon"
	}
	msg := fmt.Sprintf("%s, %s, %d peers", s.State, swarmProgress(s), s.Peers)
	if s.Note != "" {
		msg += ": " + s.Note
	}
	return msg
}
