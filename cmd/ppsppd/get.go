package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/multifile"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/storage"
	"github.com/ppsppd/ppsppd/internal/swarms"
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
	// DHT lookup: off unless a bootstrap node is given, by --dht-bootstrap or by the [dht]
	// table of the configuration file --config names (dhtFromConfig).
	dhtBootstrap []string
	dhtListen    string
	configPath   string
}

func newGetCmd() *cobra.Command {
	var f getFlags
	cmd := &cobra.Command{
		Use:   "get SWARMID|TSWIFT-URL -o OUT [--peer IP:PORT ...]",
		Short: "Download a swarm to a file, verifying every chunk against the swarm ID",
		Example: `  ppsppd get tswift://127.0.0.1:6778/f86b2d68d56e7457f1be8d35c7f492a228c3aa45 -o movie.mp4
  ppsppd get f86b2d68d56e7457f1be8d35c7f492a228c3aa45 --peer localhost:6778 --peer [::1]:6779 -o movie.mp4
  ppsppd get tswift://127.0.0.1:6778/f86b2d68d56e7457f1be8d35c7f492a228c3aa45 -o - | mpv -`,
		Long: `Download the swarm named by SWARMID (hex) or a tswift URL
(tswift://HOST:PORT/SWARMHEX[$CHUNKSIZE], the form libswift prints) into OUT. Every chunk is
verified against the swarm ID (the Merkle root hash) before it is written. Peers come from
the URL and from --peer, and, with --dht-bootstrap, from a lookup of the swarm ID on the
BitTorrent mainline DHT joined through the nodes given (get does not announce itself).

With -o -, the content goes to standard output, in order, each byte once verified (the
download is kept in a temporary file meanwhile, removed at the end); messages go to stderr.

Exits 0 only when OUT is complete and verified. Interrupting leaves a checkpoint
(OUT.ppsppd), and running the same command again resumes; a finished download keeps no
checkpoint. Peers that do not answer are tried again with backoff; if no peer answers, or
no chunk arrives, for --timeout, it fails with a clear message. When every peer is dropped
because its chunks fail verification (--size, --chunk-size or the link's ?cl= or $N do not
match the swarm), it fails at once saying so. A failed get removes the files it created
when they hold no verified chunk.

An existing OUT is written into only when it is this swarm's: empty, with this swarm's
checkpoint (a download to resume) or libswift .mhash beside it, or already exactly the
content. Any other file, including another swarm's download, is refused unless --force.
The finished OUT is exactly the content.

A multi-file swarm (libswift's swift -M layout, or ppsppd seed DIR) is also written out as
its files, under OUT's directory at the paths its spec names (e.g. DIR/media/b/clip.mp4);
OUT keeps the whole swarm. Paths that would leave the directory, symlinks on the way, and
existing files with other content are refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignals(cmd, f.logLevel, func(ctx context.Context, log *zap.Logger) error {
				return runGet(ctx, cmd, args[0], f, log)
			})
		},
	}
	f.register(cmd.Flags(), "0.0.0.0:0")
	fl := cmd.Flags()
	fl.StringArrayVar(&f.peers, "peer", nil, "peer to download from, HOST:PORT: 127.0.0.1:6778, [::1]:6778 or localhost:6778 (repeatable)")
	fl.StringVarP(&f.out, "output", "o", "", "file to write (required); - for standard output")
	fl.Int64Var(&f.size, "size", -1, "content length in bytes, if known (otherwise learned from the peak hashes)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up when no peer has answered, or no chunk has arrived, for this long")
	fl.DurationVar(&f.checkpoint, "checkpoint-every", 5*time.Second, "how often to save the checkpoint while downloading")
	fl.BoolVar(&f.force, "force", false, "overwrite OUT even if it is not this swarm's download (another file, or another swarm's)")
	fl.StringArrayVar(&f.dhtBootstrap, "dht-bootstrap", nil, "look the swarm's peers up on the mainline DHT, joining it through this node, HOST:PORT (repeatable)")
	fl.StringVar(&f.dhtListen, "dht-listen", "0.0.0.0:0", "UDP address of the DHT socket used with --dht-bootstrap")
	fl.StringVar(&f.configPath, "config", "", "a daemon configuration file (TOML): with [dht] enabled, its bootstrap nodes are used as --dht-bootstrap")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// runGet is a client of a private swarm manager: it adds the one swarm, follows it until
// it completes, fails or stalls, and stops the manager, which saves the checkpoint. What
// it created and holds nothing (no chunk verified) is removed again; a completed plain
// get keeps only the content, not the checkpoint (nothing goes on seeding it).
func runGet(ctx context.Context, cmd *cobra.Command, target string, f getFlags, log *zap.Logger) error {
	if err := f.dhtFromConfig(); err != nil {
		return err
	}
	spec, err := getSpec(cmd, target, f)
	if err != nil {
		return err
	}
	if err := checkOutput(f.out); err != nil {
		return err
	}
	// -o -: the content goes to a private temporary file, and from there to stdout, in
	// order and only as verified; what the command says goes to stderr.
	report := cmd.OutOrStdout()
	toStdout := f.out == "-"
	if toStdout {
		tmp, err := os.MkdirTemp("", "ppsppd-get-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		spec.Dest = filepath.Join(tmp, "content")
		report = cmd.ErrOrStderr()
	}
	created := newCreatedFiles(spec.Dest)
	m, err := swarms.New(swarms.Config{
		Node:            node.Config{Listen: f.listen, Logger: log},
		Logger:          log,
		CheckpointEvery: f.checkpoint,
	})
	if err != nil {
		return err
	}
	// The manager runs in its own context, so that after an interrupt it is still there
	// to save the checkpoint and close the channels before it stops.
	runCtx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	stopManager := func() {
		stop()
		if err := <-runDone; err != nil {
			log.Error("stopping", zap.Error(err))
		}
	}
	events := m.Subscribe(runCtx, 4096)
	select {
	case <-m.Ready(): // started: an interrupt from here on is answered in order
	case err := <-runDone:
		runDone <- err
		stopManager()
		if err == nil {
			err = swarms.ErrClosed
		}
		return err
	}
	stopDHT, err := startGetDHT(m, f, log)
	if err != nil {
		stopManager()
		return err
	}
	defer stopDHT()
	st, err := m.Add(ctx, spec)
	if err != nil {
		stopDHT()
		stopManager()
		return err
	}
	var copied chan error
	streamCtx, stopStream := context.WithCancel(context.Background())
	defer stopStream()
	if toStdout {
		copied = make(chan error, 1)
		go func() { copied <- streamVerified(streamCtx, m, st.ID, cmd.OutOrStdout()) }()
	}
	final, err := followDownload(ctx, m, st.ID, events, f, report, cmd.ErrOrStderr(), log)
	if copied != nil {
		if err != nil {
			stopStream()
		}
		if cerr := <-copied; err == nil && cerr != nil {
			err = fmt.Errorf("writing to standard output: %w", cerr)
		}
	}
	var files []multifile.File
	if err == nil && !toStdout {
		// A multi-file swarm (libswift's layout): its files go beside OUT.
		if files, err = m.Materialize(ctx, st.ID); err != nil {
			err = fmt.Errorf("%s is complete and verified, but its files were not written: %w", outName(f.out), err)
		}
	}
	if err == nil {
		logChunkSources(m, st.ID, log)
	}
	stopDHT()
	stopManager() // writes the last checkpoint
	if err != nil {
		if final.HaveChunks == 0 {
			created.removeEmpty(log)
		} else if errors.Is(err, errInterrupted) || errors.Is(err, errStalled) {
			err = fmt.Errorf("%w; checkpoint saved (%d of %d chunks), run the same command again to resume", err, final.HaveChunks, final.TotalChunks)
		}
		if errors.Is(err, errInterrupted) {
			return interruptedError{err}
		}
		return err
	}
	if err := os.Remove(final.Path + storage.CheckpointExt); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("removing the checkpoint of a finished download", zap.Error(err))
	}
	fmt.Fprintf(report, "%s: %d bytes, complete and verified against %v\n", outName(f.out), final.Size, st.ID)
	if len(files) > 0 {
		fmt.Fprintf(report, "multi-file swarm: %d files written under %s\n", len(files), filepath.Dir(final.Path))
	}
	return nil
}

// streamVerified copies swarm id's content to w from the start, each byte once verified.
func streamVerified(ctx context.Context, m *swarms.Manager, id swarms.ID, w io.Writer) error {
	r, err := m.OpenReader(ctx, id)
	if err != nil {
		return err
	}
	defer r.Close()
	size, err := r.Size()
	if err != nil {
		return err
	}
	_, err = io.CopyN(w, r, size)
	return err
}

// logChunkSources logs, one line per peer, how many of the swarm's chunks came from it:
// with several peers it shows what came from the seeder and what from other leechers
// (found through PEX).
func logChunkSources(m *swarms.Manager, id swarms.ID, log *zap.Logger) {
	from, err := m.ChunksFrom(id)
	if err != nil {
		log.Debug("chunk sources", zap.Error(err))
		return
	}
	for _, peer := range slices.SortedFunc(maps.Keys(from), netip.AddrPort.Compare) {
		log.Info("chunks from peer", zap.Stringer("peer", peer), zap.Uint64("chunks", from[peer]))
	}
}

func outName(out string) string {
	if out == "-" {
		return "standard output"
	}
	return out
}

// getSpec merges the link's metadata with the flags; a flag the user set wins.
func getSpec(cmd *cobra.Command, target string, f getFlags) (swarms.AddSpec, error) {
	link, err := swarmurl.Parse(target)
	if err != nil {
		return swarms.AddSpec{}, err
	}
	if swarms.IsLiveID(swarms.ID(link.SwarmID)) {
		// A live stream has no end to download to: a daemon joins it and its HTTP gateway
		// plays it (issue 12).
		return swarms.AddSpec{}, usagef("that is a live stream, which has no end to download: have the daemon join it (ppsppd add %s) and play it from its HTTP gateway (http://127.0.0.1:6779/%x)",
			target, link.SwarmID)
	}
	var peers []string
	if link.Peer != "" {
		peers = append(peers, link.Peer)
	}
	peers = append(peers, f.peers...)
	if len(peers) == 0 && len(f.dhtBootstrap) == 0 {
		return swarms.AddSpec{}, errors.New("no peer to download from: give a tswift://HOST:PORT/... URL, --peer IP:PORT, --dht-bootstrap HOST:PORT, or --config FILE with [dht] enabled")
	}
	hf, err := f.hashFunc()
	if err != nil {
		return swarms.AddSpec{}, err
	}
	if link.Hash >= 0 && !cmd.Flags().Changed("hash") {
		hf = hashtree.HashFunc(link.Hash)
	}
	cs := link.ChunkSize
	if cmd.Flags().Changed("chunk-size") {
		if err := checkChunkSizeFlag(f.chunkSize); err != nil {
			return swarms.AddSpec{}, err
		}
		cs = f.chunkSize
	}
	size := f.size
	if size < 0 {
		size = link.Size
	}
	if size == 0 {
		return swarms.AddSpec{}, errors.New("the swarm is empty: RFC 7574 defines no content for it")
	}
	if len(link.SwarmID) != hf.Size() {
		return swarms.AddSpec{}, fmt.Errorf("swarm ID has %d bytes, a %v root hash has %d (wrong --hash?)", len(link.SwarmID), hf, hf.Size())
	}
	return swarms.AddSpec{
		ID: swarms.ID(link.SwarmID), Peers: peers, ChunkSize: int(cs), Hash: hf.String(), Size: size,
		Dest: f.out, Name: link.Filename, Force: f.force,
	}, nil
}

// errInterrupted and errStalled end a download that can be resumed.
var (
	errInterrupted = errors.New("interrupted")
	errStalled     = errors.New("stalled")
)

// followDownload shows progress until the swarm is complete, fails, stalls for
// f.timeout, or ctx ends, and returns the last status it saw.
func followDownload(ctx context.Context, m *swarms.Manager, id swarms.ID, events <-chan swarms.Event, f getFlags, report, progressTo io.Writer, log *zap.Logger) (swarms.Status, error) {
	prog := newProgress(progressTo)
	var st swarms.Status
	defer func() { prog.finish(st) }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	lastChange, lastHave := time.Now(), int64(-1)
	answered, completed := false, false
	// Peers that answered, and those dropped because their chunks failed verification.
	connected := map[netip.AddrPort]bool{}
	bad := map[netip.AddrPort]bool{}
	for {
		var err error
		if st, err = m.Status(id); err != nil {
			return st, err
		}
		switch st.State {
		case swarms.StateSeeding:
			prog.update(st)
			if !completed {
				fmt.Fprintf(report, "%s is already complete and verified\n", outName(f.out))
			}
			return st, nil
		case swarms.StateError:
			if strings.Contains(st.Err, "not this swarm's download") {
				return st, fmt.Errorf("%s; --force overwrites it", st.Err)
			}
			return st, fmt.Errorf("download stopped: %s", st.Err)
		}
		if len(bad) > 0 && len(bad) == len(connected) {
			return st, badDataError(bad, st)
		}
		if st.Peers > 0 {
			answered = true
		}
		if st.Have != lastHave {
			lastChange, lastHave = time.Now(), st.Have
		}
		if stalled := time.Since(lastChange); stalled > f.timeout {
			if !answered {
				return st, fmt.Errorf("%w: no peer answered within %v", errStalled, f.timeout)
			}
			return st, fmt.Errorf("%w: no data for %v from %d connected peer(s)", errStalled, f.timeout, st.Peers)
		}
		prog.update(st)
		select {
		case <-ctx.Done():
			return st, errInterrupted
		case ev, ok := <-events:
			if !ok {
				return st, swarms.ErrClosed
			}
			if ev.ID != id {
				continue
			}
			switch ev.Kind {
			case swarms.EventPeerConnected:
				connected[ev.Peer] = true
				log.Debug("peer connected", zap.Stringer("peer", ev.Peer))
			case swarms.EventPeerClosed:
				log.Debug("peer closed", zap.Stringer("peer", ev.Peer), zap.String("reason", ev.Err))
				if ev.BadData {
					connected[ev.Peer], bad[ev.Peer] = true, true
				}
			case swarms.EventComplete:
				completed = true
			}
		case <-tick.C:
		}
	}
}

// badDataError is the cause when every peer that answered was dropped because its chunks
// failed verification: most likely the swarm's metadata given are wrong.
func badDataError(bad map[netip.AddrPort]bool, st swarms.Status) error {
	peers := make([]string, 0, len(bad))
	for p := range bad {
		peers = append(peers, p.String())
	}
	slices.Sort(peers)
	who := "every peer (" + strings.Join(peers, ", ") + ")"
	if len(peers) == 1 {
		who = peers[0]
	}
	return fmt.Errorf("every chunk from %s failed verification: wrong --size or --chunk-size (or the link's ?cl= or $N) for this swarm? (chunk size %d, content length %s)",
		who, st.ChunkSize, sizeString(st.Size))
}

func sizeString(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return strconv.FormatInt(n, 10)
}

// checkOutput refuses an OUT that cannot be written before anything starts: a missing
// directory (the manager would create it), a directory.
func checkOutput(out string) error {
	if out == "-" {
		return nil // standard output
	}
	dir := filepath.Dir(out)
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("output directory %s does not exist", dir)
		}
		return fmt.Errorf("output directory: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("output directory %s is not a directory", dir)
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: give the file to write, e.g. %s", out, filepath.Join(out, "NAME"))
	}
	return nil
}
