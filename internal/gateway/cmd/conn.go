package cmdgw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// conn is one client connection. Only serveConn's goroutine touches it, apart from the
// reader goroutine, which owns the read side and hands lines over a channel.
type conn struct {
	s   *Server
	nc  net.Conn
	w   *bufio.Writer
	log *zap.Logger
	// watched are the swarms this connection STARTed (or asked MOREINFO about): it gets
	// INFO lines for them, as a libswift connection gets them for its own requests.
	watched map[swarms.ID]*watch
	done    bool // stop after this command (SHUTDOWN)
}

type watch struct {
	played   bool // PLAY sent
	moreInfo bool // SETMOREINFO 1
}

// inLine is what the reader hands over: a line, or word that one was too long.
type inLine struct {
	text    string
	tooLong bool
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	c := &conn{s: s, nc: nc, w: bufio.NewWriter(nc), log: s.log.With(zap.Stringer("client", nc.RemoteAddr())),
		watched: make(map[swarms.ID]*watch)}
	lines := make(chan inLine)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(lines)
		s.readLines(ctx, nc, lines)
	}()
	defer func() {
		// Closing the socket ends a Read in progress; cancel ends a send in progress.
		cancel()
		nc.Close()
		<-readerDone
	}()
	c.log.Debug("cmd client connected")
	tick := time.NewTicker(s.opts.InfoInterval)
	defer tick.Stop()
	for !c.done {
		select {
		case <-ctx.Done():
			return
		case l, ok := <-lines:
			if !ok {
				// EOF, a half-closed connection or a read error: everything read has
				// been answered; the swarms go on (libswift stopped them).
				c.log.Debug("cmd client left")
				return
			}
			c.handleLine(ctx, l)
		case <-tick.C:
			c.report(ctx)
		}
		if err := c.flush(); err != nil {
			c.log.Debug("cmd client write failed; closing", zap.Error(err))
			return
		}
	}
}

// readLines splits the byte stream into lines (LF or CRLF) of at most MaxLineBytes. A
// longer line is reported, and skipped up to its end. A last line without a line end
// before EOF still counts: a script that half-closes after its command gets an answer.
func (s *Server) readLines(ctx context.Context, r io.Reader, out chan<- inLine) {
	br := bufio.NewReaderSize(r, s.opts.MaxLineBytes)
	send := func(l inLine) bool {
		select {
		case out <- l:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !send(inLine{tooLong: true}) {
				return
			}
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil {
				return
			}
		case err != nil:
			if len(b) > 0 {
				send(inLine{text: string(b)})
			}
			return
		default:
			if !send(inLine{text: string(b[:len(b)-1])}) {
				return
			}
		}
	}
}

func (c *conn) send(line string) {
	// Errors surface in flush, which ends the connection.
	_, _ = c.w.WriteString(line)
	_, _ = c.w.WriteString("\r\n")
}

func (c *conn) flush() error {
	if c.w.Buffered() == 0 {
		return nil
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout)); err != nil {
		return err
	}
	return c.w.Flush()
}

func (c *conn) handleLine(ctx context.Context, l inLine) {
	if l.tooLong {
		c.send(ErrorLine("", fmt.Sprintf("%v: line longer than %d bytes", BadParameter, c.s.opts.MaxLineBytes)))
		return
	}
	cmd, err := ParseLine(l.text)
	if err != nil {
		// Unlike libswift, an ERROR leaves the connection open.
		c.send(ErrorLine("", err.Error()))
		return
	}
	if cmd == nil {
		return
	}
	c.run(ctx, cmd)
}

// managerError is the ERROR line for a failed manager call about swarm id.
func (c *conn) managerError(id swarms.ID, what string, err error) {
	if errors.Is(err, swarms.ErrUnknown) {
		c.send(ErrorLine(id, swarms.ErrUnknown.Error()))
		return
	}
	c.send(ErrorLine(id, what+": "+err.Error()))
}

// report sends the periodic INFO (and PLAY, MOREINFO) lines for the watched swarms.
func (c *conn) report(ctx context.Context) {
	ids := make([]swarms.ID, 0, len(c.watched))
	for id := range c.watched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		st, err := c.s.m.Status(id)
		if err != nil {
			// Removed (by this client or another): libswift stops reporting it too.
			delete(c.watched, id)
			continue
		}
		c.info(ctx, st)
	}
}

// info sends one swarm's INFO, then PLAY the first time it is playable, then MOREINFO
// when asked for.
func (c *conn) info(ctx context.Context, st swarms.Status) {
	w := c.watched[st.ID]
	c.send(InfoLine(st))
	if w == nil {
		return
	}
	if !w.played && c.s.opts.HTTPBase != "" && playable(st) {
		w.played = true
		c.send(PlayLine(st.ID, c.s.opts.HTTPBase))
	}
	if w.moreInfo {
		peers, err := c.s.m.Peers(ctx, st.ID)
		if err == nil {
			c.send(MoreInfoLine(st.ID, peers, time.Now()))
		}
	}
}

// PlayPrebuffer is how much content a swarm must hold before PLAY is sent (or all of it
// when smaller): libswift's CMDGW_MAX_PREBUF_BYTES. The HTTP gateway waits for chunks not
// yet there, so this only spares a player an immediate stall.
const PlayPrebuffer = 256 << 10

func playable(st swarms.Status) bool {
	if st.Live {
		// A live stream plays from its edge: one verified chunk is enough to start, and
		// Have counts the stream so far, not what is held.
		return st.HaveChunks > 0 && (st.State == swarms.StateSeeding || st.State == swarms.StateDownloading)
	}
	switch st.State {
	case swarms.StateSeeding:
		return true
	case swarms.StateDownloading:
		want := int64(PlayPrebuffer)
		if st.Size >= 0 {
			want = min(want, st.Size)
		}
		return st.Have >= want && st.Have > 0
	}
	return false
}
