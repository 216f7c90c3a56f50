package cmdgw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// ErrNoDaemon matches (errors.Is) a Dial that found nothing listening.
var ErrNoDaemon = errors.New("no daemon is running")

// NoDaemonError is Dial's error when the port refuses the connection.
type NoDaemonError struct {
	Addr string
	Err  error
}

func (e *NoDaemonError) Error() string {
	return fmt.Sprintf("no daemon is running on %s — start one with `ppsppd serve`", e.Addr)
}

// Unwrap gives the dial error.
func (e *NoDaemonError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoDaemon) true.
func (e *NoDaemonError) Is(target error) bool { return target == ErrNoDaemon }

// ReplyError is an ERROR line the daemon answered with.
type ReplyError struct {
	ID   string // hex, or 40 zeros when not about one swarm
	Text string
}

func (e *ReplyError) Error() string { return e.Text }

// Client talks to a running daemon's CMD gateway with ppsppd's commands (those whose
// reply ends with OK). It is not safe for concurrent use.
type Client struct {
	nc net.Conn
	r  *bufio.Reader
}

// Dial connects to the gateway at addr (DefaultAddr for "").
func Dial(ctx context.Context, addr string) (*Client, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &NoDaemonError{Addr: addr, Err: err}
		}
		return nil, fmt.Errorf("cmd gateway %s: %w", addr, err)
	}
	return &Client{nc: nc, r: bufio.NewReaderSize(nc, DefaultMaxLineBytes)}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.nc.Close() }

// Do sends one command line and returns its reply lines, without the final OK line. An
// ERROR reply comes back as a *ReplyError. INFO, PLAY and MOREINFO lines (reports for
// swarms this connection STARTed) are skipped. A deadline on ctx bounds the exchange.
func (c *Client) Do(ctx context.Context, line string) ([]string, error) {
	if strings.ContainsAny(line, "\r\n") {
		return nil, errors.New("cmd gateway: a command is one line")
	}
	defer c.bound(ctx)()
	if _, err := c.nc.Write([]byte(line + "\r\n")); err != nil {
		return nil, c.ioError(ctx, err)
	}
	var reply []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return nil, c.ioError(ctx, err)
		}
		l = strings.TrimRight(l, "\r\n")
		word, rest, _ := strings.Cut(l, " ")
		switch word {
		case "OK":
			return reply, nil
		case "ERROR":
			id, text, _ := strings.Cut(rest, " ")
			return nil, &ReplyError{ID: id, Text: text}
		case "INFO", "PLAY", "MOREINFO":
		default:
			reply = append(reply, l)
		}
	}
}

// Send sends one of libswift's commands, which answer nothing on success (REMOVE,
// MAXSPEED, CHECKPOINT, SETMOREINFO, PEERADDR). An ERROR it causes is what the next Do
// returns.
func (c *Client) Send(ctx context.Context, line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return errors.New("cmd gateway: a command is one line")
	}
	defer c.bound(ctx)()
	if _, err := c.nc.Write([]byte(line + "\r\n")); err != nil {
		return c.ioError(ctx, err)
	}
	return nil
}

// bound makes ctx's deadline and cancellation end blocked I/O on the connection until
// the returned function is called.
func (c *Client) bound(ctx context.Context) func() {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired // let it finish, or it could undo the reset below
		}
		_ = c.nc.SetDeadline(time.Time{})
	}
}

func (c *Client) ioError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("cmd gateway: %w", ctx.Err())
	}
	// The connection's deadline is ctx's, and can fire just before ctx's own timer does.
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		return fmt.Errorf("cmd gateway: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("cmd gateway: %w", err)
}

// SwarmInfo is a parsed SWARM line.
type SwarmInfo struct {
	ID               string
	State            string
	Have, Size       int64
	DownRate, UpRate float64
	Peers            int
	Note             string
}

// ParseSwarmLine reads a SWARM line (LIST's and ADD's reply).
func ParseSwarmLine(l string) (SwarmInfo, error) {
	f := strings.SplitN(l, " ", 8)
	var s SwarmInfo
	if len(f) < 7 || f[0] != "SWARM" {
		return s, fmt.Errorf("not a SWARM line: %q", l)
	}
	s.ID, s.State = f[1], f[2]
	if _, err := swarms.ParseID(s.ID); err != nil {
		return s, fmt.Errorf("SWARM line %q: %w", l, err)
	}
	if _, err := fmt.Sscanf(f[3]+" "+f[4]+" "+f[5]+" "+f[6], "%d/%d %g %g %d", &s.Have, &s.Size, &s.DownRate, &s.UpRate, &s.Peers); err != nil {
		return s, fmt.Errorf("SWARM line %q: %w", l, err)
	}
	if len(f) == 8 {
		s.Note = f[7]
	}
	return s, nil
}
