package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

// errNoHTTPGateway: the daemon holds the whole swarm yet sends no PLAY, which it does only
// when its HTTP gateway is off.
var errNoHTTPGateway = errors.New("the daemon's HTTP gateway is off (http.listen in its config): a player has nothing to play from")

// Status codes of INFO lines (libswift's, swarms.State).
const (
	infoSeeding = 4
	infoStopped = 5
	infoError   = 6
)

// waitPlayable STARTs link on the connection and reads the daemon's reports until it says
// the swarm is playable (PLAY, libswift's signal), and returns the HTTP gateway URL the
// PLAY line names. Progress goes to progress whenever it changes. It ends early when the
// daemon refuses the swarm (ERROR), when the swarm stops or fails, and when a complete
// swarm is reported with no PLAY after it.
func waitPlayable(ctx context.Context, c *cmdgw.Client, link, hexID string, progress io.Writer) (string, error) {
	if err := c.Send(ctx, "START "+link); err != nil {
		return "", err
	}
	lastShown := ""
	completeNoPlay := false // the last line was a seeding INFO: PLAY must come next
	for {
		l, err := c.Next(ctx)
		if err != nil {
			return "", err
		}
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "PLAY":
			id, url, err := cmdgw.ParsePlayLine(l)
			if err != nil {
				return "", fmt.Errorf("daemon: %w", err)
			}
			if id == hexID {
				return url, nil
			}
		case "ERROR":
			id, text, _ := strings.Cut(rest, " ")
			if id == hexID || strings.Trim(id, "0") == "" {
				return "", fmt.Errorf("the daemon refused swarm %s: %s", hexID, text)
			}
		case "INFO":
			r, err := cmdgw.ParseInfoLine(l)
			if err != nil {
				return "", fmt.Errorf("daemon: %w", err)
			}
			if r.ID != hexID {
				continue
			}
			if completeNoPlay {
				return "", errNoHTTPGateway
			}
			switch r.Status {
			case infoStopped:
				return "", fmt.Errorf("swarm %s is stopped in the daemon", hexID)
			case infoError:
				return "", fmt.Errorf("swarm %s failed in the daemon: %s", hexID, swarmSituation(ctx, c, hexID))
			case infoSeeding:
				completeNoPlay = true
			}
			if shown := infoProgress(r); shown != lastShown {
				lastShown = shown
				fmt.Fprintf(progress, "%s %s\n", hexID, shown)
			}
		}
	}
}

// infoProgress is a person's view of an INFO line.
func infoProgress(r cmdgw.InfoReport) string {
	peers := fmt.Sprintf("%d peers", r.Leechers+r.Seeders)
	if r.Size <= 0 {
		return fmt.Sprintf("%d/? bytes, %s", r.Have, peers)
	}
	return fmt.Sprintf("%d/%d bytes (%.0f%%), %s", r.Have, r.Size, 100*float64(r.Have)/float64(r.Size), peers)
}
