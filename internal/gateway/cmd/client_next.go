package cmdgw

import (
	"context"
	"fmt"
	"strings"
)

// Next reads the next line the daemon sends on this connection, without its CRLF: the
// INFO, PLAY and ERROR lines that follow a START (libswift's commands answer no OK, so Do
// cannot wait for them). A deadline on ctx bounds the wait.
func (c *Client) Next(ctx context.Context) (string, error) {
	defer c.bound(ctx)()
	l, err := c.r.ReadString('\n')
	if err != nil {
		return "", c.ioError(ctx, err)
	}
	return strings.TrimRight(l, "\r\n"), nil
}

// InfoReport is a parsed INFO line:
// INFO <hex> <status> <have>/<size> <down B/s> <up B/s> <leechers> <seeders>.
type InfoReport struct {
	ID       string
	Status   int // libswift's code (swarms.State): 3 downloading, 4 seeding, ...
	Have     int64
	Size     int64 // 0 while unknown
	DownRate float64
	UpRate   float64
	Leechers int
	Seeders  int
}

// ParseInfoLine reads an INFO line.
func ParseInfoLine(l string) (InfoReport, error) {
	var r InfoReport
	f := strings.Fields(l)
	if len(f) != 8 || f[0] != "INFO" {
		return r, fmt.Errorf("not an INFO line: %q", l)
	}
	r.ID = f[1]
	if _, err := fmt.Sscanf(strings.Join(f[2:], " "), "%d %d/%d %g %g %d %d",
		&r.Status, &r.Have, &r.Size, &r.DownRate, &r.UpRate, &r.Leechers, &r.Seeders); err != nil {
		return r, fmt.Errorf("INFO line %q: %w", l, err)
	}
	return r, nil
}

// ParsePlayLine reads a PLAY line: PLAY <hex> <url>, the HTTP gateway's URL of the swarm.
func ParsePlayLine(l string) (id, url string, err error) {
	f := strings.Fields(l)
	if len(f) != 3 || f[0] != "PLAY" {
		return "", "", fmt.Errorf("not a PLAY line: %q", l)
	}
	return f[1], f[2], nil
}
