package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/storage"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

type getFlags struct {
	contentFlags
	peers      []string
	out        string
	size       int64
	timeout    time.Duration
	checkpoint time.Duration
	force      bool
}

func newGetCmd() *cobra.Command {
	var f getFlags
	cmd := &cobra.Command{
		Use:   "get SWARMID|TSWIFT-URL -o OUT [--peer IP:PORT ...]",
		Short: "Download a swarm to a file, verifying every chunk against the swarm ID",
		Long: `Download the swarm named by SWARMID (hex) or a tswift URL
(tswift://HOST:PORT/SWARMHEX[$CHUNKSIZE], the form libswift prints) into OUT. Every chunk is
verified against the swarm ID (the Merkle root hash) before it is written. Peers come from
the URL and from --peer.

Exits 0 only when OUT is complete and verified. Interrupting leaves a checkpoint
(OUT.ppsppd), and running the same command again resumes. If no peer answers within
--timeout, it fails with a clear message.

An existing OUT is written into only when it is this swarm's: empty, with this swarm's
checkpoint (a download to resume) or libswift .mhash beside it, or already exactly the
content. Any other file, including another swarm's download, is refused unless --force.
The finished OUT is exactly the content.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignals(cmd, f.logLevel, func(ctx context.Context, log *zap.Logger) error {
				return runGet(ctx, cmd, args[0], f, log)
			})
		},
	}
	f.register(cmd.Flags(), "0.0.0.0:0")
	fl := cmd.Flags()
	fl.StringArrayVar(&f.peers, "peer", nil, "peer to download from, IP:PORT (repeatable)")
	fl.StringVarP(&f.out, "output", "o", "", "file to write (required)")
	fl.Int64Var(&f.size, "size", -1, "content length in bytes, if known (otherwise learned from the peak hashes)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up when no peer has answered, or no chunk has arrived, for this long")
	fl.DurationVar(&f.checkpoint, "checkpoint-every", 5*time.Second, "how often to save the checkpoint while downloading")
	fl.BoolVar(&f.force, "force", false, "overwrite OUT even if it is not this swarm's download (another file, or another swarm's)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runGet(ctx context.Context, cmd *cobra.Command, target string, f getFlags, log *zap.Logger) error {
	link, err := swarmurl.Parse(target)
	if err != nil {
		return err
	}
	peers, err := getPeers(link, f.peers)
	if err != nil {
		return err
	}
	params, err := getParams(cmd, link, f)
	if err != nil {
		return err
	}
	store, err := storage.Open(ctx, storage.Options{ContentPath: f.out, Root: link.SwarmID, Params: params, Force: f.force})
	if errors.Is(err, storage.ErrNotOurs) {
		return fmt.Errorf("%w; --force overwrites it", err)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	if store.Complete() {
		fmt.Fprintf(cmd.OutOrStdout(), "%s is already complete and verified\n", f.out)
		return nil
	}
	if n := store.VerifiedCount(); n > 0 {
		log.Info("resuming", zap.String("file", f.out), zap.Int("verified_chunks", n), zap.String("from", store.Recovery().From))
	}

	n, err := node.New(node.Config{Listen: f.listen, Logger: log})
	if err != nil {
		return err
	}
	events, unsubscribe := n.Subscribe(4096)
	defer unsubscribe()
	run := startNode(n, log)
	defer run.stop()
	id, err := n.AddSwarm(ctx, engine.NewSwarmConfig(store))
	if err != nil {
		return err
	}
	defer run.closeSwarm(id)
	for _, p := range peers {
		if err := n.Connect(ctx, id, p); err != nil {
			return err
		}
	}
	err = waitDownload(ctx, n, id, store, events, len(peers), f, cmd.ErrOrStderr())
	if cerr := store.Checkpoint(); err == nil && cerr != nil {
		err = fmt.Errorf("saving checkpoint: %w", cerr)
	}
	if err != nil {
		return err
	}
	size, _ := store.Size()
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d bytes, complete and verified against %x\n", f.out, size, link.SwarmID)
	return nil
}

func getPeers(link swarmurl.Link, flags []string) ([]netip.AddrPort, error) {
	var peers []netip.AddrPort
	for _, s := range append([]string{link.Peer}, flags...) {
		if s == "" {
			continue
		}
		p, err := swarmurl.ResolvePeer(s)
		if err != nil {
			return nil, err
		}
		peers = append(peers, p)
	}
	if len(peers) == 0 {
		return nil, errors.New("no peer to download from: give a tswift://HOST:PORT/... URL or --peer IP:PORT")
	}
	return peers, nil
}

// getParams merges the link's metadata with the flags; a flag the user set wins.
func getParams(cmd *cobra.Command, link swarmurl.Link, f getFlags) (hashtree.Params, error) {
	hf, err := f.hashFunc()
	if err != nil {
		return hashtree.Params{}, err
	}
	if link.Hash >= 0 && !cmd.Flags().Changed("hash") {
		hf = hashtree.HashFunc(link.Hash)
	}
	cs := f.chunkSize
	if !cmd.Flags().Changed("chunk-size") {
		cs = link.ChunkSize
	}
	size := f.size
	if size < 0 {
		size = link.Size
	}
	if size == 0 {
		return hashtree.Params{}, errors.New("the swarm is empty: RFC 7574 defines no content for it")
	}
	if len(link.SwarmID) != hf.Size() {
		return hashtree.Params{}, fmt.Errorf("swarm ID has %d bytes, a %v root hash has %d (wrong --hash?)", len(link.SwarmID), hf, hf.Size())
	}
	return hashtree.Params{Hash: hf, ChunkSize: int(cs), Size: size}, nil
}

// waitDownload follows the download until it completes, fails, stalls or is interrupted,
// showing progress and saving checkpoints on the way.
func waitDownload(ctx context.Context, n *node.Node, id engine.SwarmID, store *storage.Store, events <-chan engine.Event,
	npeers int, f getFlags, out io.Writer) error {
	prog := newProgress(out)
	defer prog.finish()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastCheckpoint, lastChunk := time.Now(), time.Now()
	connected, unreachable := 0, 0
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted; checkpoint saved, run the same command again to resume")
		case ev := <-events:
			switch ev.Kind {
			case engine.EventComplete:
				have, total, _ := n.Progress(ctx, id)
				prog.update(have, total, store)
				return nil
			case engine.EventSwarmError:
				return fmt.Errorf("download stopped: %w", ev.Err)
			case engine.EventPeerConnected:
				connected++
			case engine.EventPeerUnreachable:
				unreachable++
				if connected == 0 && unreachable >= npeers {
					return fmt.Errorf("no peer answered (tried %d)", npeers)
				}
			case engine.EventChunkVerified:
				lastChunk = time.Now()
			}
		case now := <-tick.C:
			have, total, err := n.Progress(ctx, id)
			if err != nil {
				return err
			}
			prog.update(have, total, store)
			if connected == 0 && now.Sub(lastChunk) > f.timeout {
				return fmt.Errorf("no peer answered within %v", f.timeout)
			}
			if now.Sub(lastChunk) > f.timeout {
				return fmt.Errorf("no data for %v from %d connected peer(s); checkpoint saved", f.timeout, connected)
			}
			if now.Sub(lastCheckpoint) > f.checkpoint && store.Dirty() {
				if err := store.Checkpoint(); err != nil {
					return fmt.Errorf("saving checkpoint: %w", err)
				}
				lastCheckpoint = now
			}
		}
	}
}

// progress draws a bar on a terminal and plain lines every few seconds otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	started  time.Time
	lastLine time.Time
	drawn    bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, started: time.Now()}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) update(have, total uint64, store *storage.Store) {
	if total == 0 {
		return
	}
	now := time.Now()
	bytes := float64(have) * float64(store.ChunkSize())
	rate := bytes / max(now.Sub(p.started).Seconds(), 1e-3) / 1e6
	pct := 100 * float64(have) / float64(total)
	if p.tty {
		const width = 30
		filled := int(pct / 100 * width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < filled {
				bar[i] = '='
			}
		}
		fmt.Fprintf(p.w, "\r[%s] %5.1f%%  %d/%d chunks  %.1f MB/s ", bar, pct, have, total, rate)
		p.drawn = true
		return
	}
	if now.Sub(p.lastLine) >= 2*time.Second || have == total {
		fmt.Fprintf(p.w, "progress %.1f%% (%d/%d chunks, %.1f MB/s)\n", pct, have, total, rate)
		p.lastLine = now
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
