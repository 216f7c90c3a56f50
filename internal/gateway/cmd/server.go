package cmdgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Options configure a Server. Zero values mean the defaults given.
type Options struct {
	// HTTPBase is the HTTP gateway's URL base, e.g. "http://127.0.0.1:6780", for PLAY
	// lines; "" sends no PLAY lines.
	HTTPBase string
	// AllowShutdown lets SHUTDOWN call Shutdown. Off by default: with libswift any client
	// could stop the daemon; here a refused SHUTDOWN gets an ERROR saying why
	// (ShutdownRefusal, default "SHUTDOWN is disabled in the daemon's config").
	AllowShutdown   bool
	Shutdown        func()
	ShutdownRefusal string
	// Booster answers BOOSTER; nil: the daemon runs no booster (BOOSTER gets an ERROR).
	Booster BoosterAPI
	// MaxClients caps concurrent connections (default 1024, libswift's CMDGW_MAX_CLIENT);
	// one more gets an ERROR and is closed.
	MaxClients int
	// MaxLineBytes caps a client line, CRLF included (default 4096); a longer line gets
	// an ERROR and is skipped.
	MaxLineBytes int
	// InfoInterval is the INFO/MOREINFO period (default 1s, libswift's).
	InfoInterval time.Duration
	// WriteTimeout bounds each write to a client (default 10s); a client that does not
	// read for that long is disconnected so it cannot stall its connection's goroutine.
	WriteTimeout time.Duration
	// SeedRoots are the directories (or files) SEED may seed from: the content directory
	// and the configured seed paths. Empty: SEED is refused.
	SeedRoots []string
	// Version is what VERSION reports.
	Version string
	Log     *zap.Logger
}

// Defaults.
const (
	DefaultMaxClients   = 1024
	DefaultMaxLineBytes = 4096
	DefaultInfoInterval = time.Second
	DefaultWriteTimeout = 10 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.InfoInterval <= 0 {
		o.InfoInterval = DefaultInfoInterval
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.ShutdownRefusal == "" {
		o.ShutdownRefusal = "SHUTDOWN is disabled in the daemon's config"
	}
	if o.Version == "" {
		o.Version = "devel"
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return o
}

// Server is the CMD gateway: libswift's line protocol over TCP, driving a Manager.
type Server struct {
	m     Manager
	opts  Options
	log   *zap.Logger
	slots chan struct{} // one token per connection being served
}

// New builds a gateway for m.
func New(m Manager, opts Options) *Server {
	opts = opts.withDefaults()
	return &Server{m: m, opts: opts, log: opts.Log, slots: make(chan struct{}, opts.MaxClients)}
}

// Run serves connections from ln until ctx ends, then closes ln and every connection and
// returns nil once all its goroutines have finished. It returns an error if ln fails
// for another reason. A client that leaves (or misbehaves) affects only itself.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				// Out of file descriptors and the like: wait and try again rather than
				// spin or give up on every client.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("cmd gateway: accept failed; retrying", zap.Error(err), zap.Duration("in", backoff))
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return nil
				}
				continue
			}
			return fmt.Errorf("cmd gateway: accept: %w", err)
		}
		backoff = 0
		select {
		case s.slots <- struct{}{}:
			wg.Go(func() {
				defer func() { <-s.slots }()
				s.serveConn(ctx, nc)
			})
		default:
			wg.Go(func() { s.refuse(nc) })
		}
	}
}

// isTemporary matches accept errors that pass (EMFILE, ENFILE, ECONNABORTED...): the
// ones net.Listener implementations still flag with the deprecated Temporary method.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// refuse tells a client over the cap why it is turned away, and closes it.
func (s *Server) refuse(nc net.Conn) {
	defer nc.Close()
	s.log.Warn("cmd gateway: too many clients; refusing one", zap.Int("max", s.opts.MaxClients),
		zap.Stringer("remote", nc.RemoteAddr()))
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = nc.Write([]byte(ErrorLine("", fmt.Sprintf("too many clients (at most %d); try again later", s.opts.MaxClients)) + "\r\n"))
}

// seedable checks that path lies inside one of the seed roots (after following links) and
// returns the resolved path.
func (s *Server) seedable(path string) (string, error) {
	for _, root := range s.opts.SeedRoots {
		if root == path {
			return path, nil // a configured seed file itself
		}
		if p, err := swarms.ResolveInside(root, path); err == nil {
			return p, nil
		}
	}
	if len(s.opts.SeedRoots) == 0 {
		return "", fmt.Errorf("%s: this daemon seeds no local files over CMD", path)
	}
	return "", fmt.Errorf("%s is outside the content directory and the [seed] paths (%s): copy it there, or add its directory to [seed] paths",
		path, strings.Join(s.opts.SeedRoots, ", "))
}
