package cmdgw

import (
	"context"
	"errors"
	"strings"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// run carries out one command. libswift's commands answer only with ERROR (and START with
// INFO/PLAY); ppsppd's end their reply with OK.
func (c *conn) run(ctx context.Context, cmd Command) {
	m := c.s.m
	switch cmd := cmd.(type) {
	case Start:
		c.start(ctx, cmd)
	case Remove:
		if err := m.Remove(ctx, cmd.ID, cmd.Opts); err != nil {
			c.managerError(cmd.ID, "remove", err)
			return
		}
		delete(c.watched, cmd.ID)
	case MaxSpeed:
		st, err := m.Status(cmd.ID)
		if err != nil {
			c.managerError(cmd.ID, "maxspeed", err)
			return
		}
		l := st.Limits
		if cmd.Up {
			l.Up = cmd.Rate
		} else {
			l.Down = cmd.Rate
		}
		if err := m.SetLimits(ctx, cmd.ID, l); err != nil {
			c.managerError(cmd.ID, "maxspeed", err)
		}
	case Checkpoint:
		if err := m.Checkpoint(ctx, cmd.ID); err != nil {
			c.managerError(cmd.ID, "checkpoint", err)
		}
	case SetMoreInfo:
		if _, err := m.Status(cmd.ID); err != nil {
			c.managerError(cmd.ID, "setmoreinfo", err)
			return
		}
		w := c.watched[cmd.ID]
		if w == nil {
			// libswift finds the START request of any connection; here the swarm is
			// simply reported on this one from now on.
			w = &watch{}
			c.watched[cmd.ID] = w
		}
		w.moreInfo = cmd.On
	case Shutdown:
		if !c.s.opts.AllowShutdown || c.s.opts.Shutdown == nil {
			c.send(ErrorLine("", "shutdown refused: "+c.s.opts.ShutdownRefusal))
			return
		}
		c.log.Info("cmd gateway: SHUTDOWN from client")
		c.s.opts.Shutdown()
		c.done = true
	case PeerAddr:
		if err := m.AddPeers(ctx, cmd.ID, []string{cmd.Addr}); err != nil {
			c.managerError(cmd.ID, "peeraddr", err)
		}
	case List:
		if cmd.ID != "" {
			st, err := m.Status(cmd.ID)
			if err != nil {
				c.managerError(cmd.ID, "list", err)
				return
			}
			c.send(SwarmLine(st))
		} else {
			for _, st := range m.List() {
				c.send(SwarmLine(st))
			}
		}
		c.send(OKLine)
	case Peers:
		peers, err := m.Peers(ctx, cmd.ID)
		if err != nil {
			c.managerError(cmd.ID, "peers", err)
			return
		}
		for _, p := range peers {
			c.send(PeerLine(p))
		}
		c.send(OKLine)
	case Limit:
		c.limit(ctx, cmd)
	case Add:
		if isLiveLink(swarms.ID(cmd.Link.SwarmID)) {
			if cmd.Dest != "" {
				c.send(ErrorLine(swarms.ID(cmd.Link.SwarmID), BadParameter.String()+": dest= for a live stream: it is kept in memory, not in a file"))
				return
			}
			c.joinLive(ctx, LiveJoin{URL: cmd.URL, Link: cmd.Link, Peers: cmd.Peers})
			return
		}
		spec := addSpec(cmd.Link, cmd.Dest)
		spec.Peers = append(spec.Peers, cmd.Peers...)
		st, err := m.Add(ctx, spec)
		switch {
		case errors.Is(err, swarms.ErrExists):
			c.releaseFromBooster(spec.ID)
			c.send(SwarmLine(st))
			c.send(OKLine + " already added")
		case err != nil:
			c.managerError(spec.ID, "bad swarm", err)
		default:
			c.send(SwarmLine(st))
			c.send(OKLine)
		}
	case Seed:
		c.seed(ctx, cmd)
	case Rm:
		del := swarms.RemoveOptions{DeleteState: cmd.Delete, DeleteContent: cmd.Delete}
		if err := m.Remove(ctx, cmd.ID, del); err != nil {
			c.managerError(cmd.ID, "remove", err)
			return
		}
		delete(c.watched, cmd.ID)
		c.send(OKLine)
	case Help:
		for _, l := range strings.Split(strings.TrimSpace(helpText), "\n") {
			c.send("HELP " + l)
		}
		c.send(OKLine)
	case Version:
		c.send(VersionLine(c.s.opts.Version))
		c.send(OKLine)
	case Booster:
		c.booster(cmd)
	case LiveSource:
		c.liveSource(ctx, cmd)
	case LiveJoin:
		c.joinLive(ctx, cmd)
	case LiveStop:
		c.liveStop(ctx, cmd)
	}
}

// seed seeds a local file. Only files inside the content directory or a configured seed
// path may be seeded from here: a CMD client must not be able to publish whatever the
// daemon can read (its state, a user's keys).
func (c *conn) seed(ctx context.Context, cmd Seed) {
	path, err := c.s.seedable(cmd.Path)
	if err != nil {
		c.send(ErrorLine("", BadParameter.String()+": "+err.Error()))
		return
	}
	st, err := c.s.m.Seed(ctx, swarms.SeedSpec{Path: path})
	switch {
	case errors.Is(err, swarms.ErrExists):
		c.send(SwarmLine(st))
		c.send(OKLine + " already added")
	case err != nil:
		c.send(ErrorLine("", "bad parameter: "+err.Error()))
	default:
		c.send(SwarmLine(st))
		c.send(OKLine)
	}
}

// addSpec turns a link (and START's destdir) into what the manager adds. Dest goes
// through unchanged: the manager resolves it inside the content directory.
func addSpec(l swarmurl.Link, dest string) swarms.AddSpec {
	spec := swarms.AddSpec{
		ID:        swarms.ID(l.SwarmID),
		ChunkSize: int(l.ChunkSize),
		Hash:      l.HashName(),
		Size:      l.Size,
		Dest:      dest,
		Name:      l.Filename,
	}
	if l.Peer != "" {
		spec.Peers = []string{l.Peer}
	}
	return spec
}

// start is libswift's START: an INFO with status 2 at once for a swarm not yet held,
// then the swarm's INFO after it is added (and PLAY once playable), and INFO every
// second from then on, on this connection. A swarm already held is adopted, not refused
// (libswift answers a second START for a hash with an ERROR and closes the connection).
func (c *conn) start(ctx context.Context, cmd Start) {
	dest := cmd.Dest
	if dest != "" && !strings.HasSuffix(dest, "/") {
		dest += "/" // START's argument is a directory (libswift's destdir)
	}
	spec := addSpec(cmd.Link, dest)
	live := isLiveLink(spec.ID) // joined as a live stream; destdir does not apply
	if _, err := c.s.m.Status(spec.ID); errors.Is(err, swarms.ErrUnknown) {
		c.send(HashCheckingInfoLine(spec.ID))
		// At once, as libswift does: adding may take a while (checking content
		// already on disk).
		if err := c.flush(); err != nil {
			c.done = true
			return
		}
	}
	var st swarms.Status
	var err error
	if live {
		st, err = c.join(ctx, LiveJoin{URL: cmd.URL, Link: cmd.Link})
	} else {
		st, err = c.s.m.Add(ctx, spec)
	}
	if err != nil && !errors.Is(err, swarms.ErrExists) {
		c.log.Info("cmd gateway: START failed", zap.Stringer("swarm", spec.ID), zap.Error(err))
		c.managerError(spec.ID, "bad swarm", err)
		return
	}
	if err != nil {
		c.releaseFromBooster(spec.ID)
	}
	if c.watched[spec.ID] == nil {
		c.watched[spec.ID] = &watch{}
	}
	c.info(ctx, st)
}

func (c *conn) limit(ctx context.Context, cmd Limit) {
	m := c.s.m
	var cur swarms.Limits
	if cmd.ID == "" {
		cur = m.GlobalLimits()
	} else {
		st, err := m.Status(cmd.ID)
		if err != nil {
			c.managerError(cmd.ID, "limit", err)
			return
		}
		cur = st.Limits
	}
	if cmd.Up != nil || cmd.Down != nil {
		if cmd.Up != nil {
			cur.Up = *cmd.Up
		}
		if cmd.Down != nil {
			cur.Down = *cmd.Down
		}
		if err := m.SetLimits(ctx, cmd.ID, cur); err != nil {
			c.managerError(cmd.ID, "limit", err)
			return
		}
	}
	c.send(LimitLine(cmd.ID, cur))
	c.send(OKLine)
}

// helpText is HELP's reply, a line per command.
const helpText = `
libswift's commands (no reply unless an ERROR; START reports INFO lines):
START <tswift-url> [destdir [metadir]]        download a swarm; INFO every second, PLAY when playable
REMOVE <hex> <removestate 0|1> <removecontent 0|1>
MAXSPEED <hex> DOWNLOAD|UPLOAD <KiB/s>        0 = no cap
CHECKPOINT <hex>                              write the swarm's state to disk now
SETMOREINFO <hex> 0|1                         MOREINFO JSON with each INFO
PEERADDR <hex> <host:port>                    one more peer for the swarm
SHUTDOWN                                      stop the daemon (only where the config allows it)
ppsppd's commands (reply lines, then OK, or one ERROR):
LIST [<hex>]                                  SWARM <hex> <state> <have>/<size> <down B/s> <up B/s> <peers> [note]
PEERS <hex>                                   PEER <ip:port> seeder|leecher <have-chunks> <up> <down> <raw-up> <raw-down>
LIMIT [<hex>|global] [up=<rate>] [down=<rate>] LIMIT <hex>|global up=<B/s> down=<B/s>; rate: bytes/s, k/m/g suffix, 0 = no cap
ADD <url|hex> [peer=<host:port>]... [dest=<path>] SWARM line (OK already added if held)
SEED <absolute-path>                          seed a file (or a directory, as one multi-file swarm) inside the content directory or a [seed] path
RM <hex> [delete]                             remove; delete also removes content and state
BOOSTER [FEEDS|SWARMS]                        BOOSTER summary, FEED line per feed, or BSWARM line per swarm the booster added
LIVE SOURCE <absolute-path> [key=<absolute-path>|sig=<alg>] [chunk=<bytes>] [integrity=umt|signall] [window=<chunks>] [follow=0|1]
                                              inject a live stream read from a file (followed as it grows) or a FIFO inside the content directory or a [seed] path; SWARM line
LIVE JOIN <url|hex> [peer=<host:port>]... [integrity=umt|signall] [window=<chunks>]
                                              join a live stream as a peer (START and ADD of a live swarm ID do too); SWARM line
LIVE STOP <hex>                               end a live source or leave a live stream
HELP, VERSION
`
