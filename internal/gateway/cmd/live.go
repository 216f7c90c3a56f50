package cmdgw

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// LiveManager is what the gateway needs from the manager for live streams; the gateway
// finds it on its Manager with a type assertion (internal/swarms' Manager has it), and
// answers the LIVE commands, and START and ADD of a live swarm ID, with an ERROR when the
// manager lacks it.
type LiveManager interface {
	// AddLiveFile starts a live source reading a file or FIFO (swarms.Manager.AddLiveFile).
	AddLiveFile(ctx context.Context, spec swarms.LiveFileSpec) (swarms.Status, error)
	// JoinLive joins a live stream; ErrExists (wrapped), with its status, when held.
	JoinLive(ctx context.Context, spec swarms.LiveJoinSpec) (swarms.Status, error)
}

// errNoLive is the answer of a daemon whose manager runs no live swarms.
var errNoLive = errors.New("this daemon runs no live streams")

func (c *conn) liveManager() (LiveManager, bool) {
	lm, ok := c.s.m.(LiveManager)
	return lm, ok
}

// liveSource is LIVE SOURCE: the input must be seedable (inside the content directory or
// a [seed] path), as SEED's file must: a CMD client must not make the daemon publish
// whatever it can read.
func (c *conn) liveSource(ctx context.Context, cmd LiveSource) {
	lm, ok := c.liveManager()
	if !ok {
		c.send(ErrorLine("", "live source: "+errNoLive.Error()))
		return
	}
	path, err := c.s.seedable(cmd.Path)
	if err != nil {
		c.send(ErrorLine("", BadParameter.String()+": "+err.Error()))
		return
	}
	spec := swarms.LiveFileSpec{
		LiveSourceSpec: swarms.LiveSourceSpec{Method: cmd.Method, ChunkSize: cmd.ChunkSize, Window: cmd.Window, ChunksPerSig: cmd.ChunksPerSig},
		Path:           path, Follow: cmd.Follow, KeyFile: cmd.KeyFile, Alg: cmd.Alg,
	}
	st, err := lm.AddLiveFile(ctx, spec)
	switch {
	case errors.Is(err, swarms.ErrExists):
		c.managerError(st.ID, "live source", err)
	case err != nil:
		c.send(ErrorLine("", "live source: "+err.Error()))
	default:
		if cmd.KeyFile == "" {
			c.log.Info("cmd gateway: live source with a new key: its swarm ID changes when it is started again",
				zap.Stringer("swarm", st.ID), zap.String("input", path))
		}
		c.send(SwarmLine(st))
		c.send(OKLine)
	}
}

// joinSpec is what the manager joins for a live link.
func joinSpec(cmd LiveJoin) swarms.LiveJoinSpec {
	spec := swarms.LiveJoinSpec{ID: swarms.ID(cmd.Link.SwarmID), ChunkSize: int(cmd.Link.ChunkSize), Method: cmd.Method,
		Window: cmd.Window, Name: cmd.Link.Filename, Peers: cmd.Peers}
	if cmd.Link.Peer != "" {
		spec.Peers = append([]string{cmd.Link.Peer}, spec.Peers...)
	}
	if m := wire.IntegrityMethod(cmd.Link.Integrity); spec.Method == 0 && cmd.Link.Integrity >= 0 && m.IsLive() {
		spec.Method = m // the link's cp= (a Sign All stream's link says so)
	}
	return spec
}

// joinLive joins a live stream and reports as ADD does: the SWARM line, then OK (or "OK
// already added").
func (c *conn) joinLive(ctx context.Context, cmd LiveJoin) {
	st, err := c.join(ctx, cmd)
	switch {
	case errors.Is(err, swarms.ErrExists):
		c.send(SwarmLine(st))
		c.send(OKLine + " already added")
	case err != nil:
		c.managerError(swarms.ID(cmd.Link.SwarmID), "bad swarm", err)
	default:
		c.send(SwarmLine(st))
		c.send(OKLine)
	}
}

func (c *conn) join(ctx context.Context, cmd LiveJoin) (swarms.Status, error) {
	lm, ok := c.liveManager()
	if !ok {
		return swarms.Status{}, errNoLive
	}
	return lm.JoinLive(ctx, joinSpec(cmd))
}

// liveStop is LIVE STOP: Remove, for live swarms only (a script that meant a stream must
// not remove a download by a mistyped ID).
func (c *conn) liveStop(ctx context.Context, cmd LiveStop) {
	st, err := c.s.m.Status(cmd.ID)
	if err != nil {
		c.managerError(cmd.ID, "live stop", err)
		return
	}
	if !st.Live {
		c.send(ErrorLine(cmd.ID, "live stop: not a live swarm (RM removes others)"))
		return
	}
	if err := c.s.m.Remove(ctx, cmd.ID, swarms.RemoveOptions{}); err != nil {
		c.managerError(cmd.ID, "live stop", err)
		return
	}
	delete(c.watched, cmd.ID)
	c.send(OKLine)
}

// isLiveLink reports whether a START or ADD names a live stream (by its swarm ID's form:
// swarmapi.IsLiveID), which is joined rather than downloaded.
func isLiveLink(id swarms.ID) bool { return swarmapi.IsLiveID(id) }
