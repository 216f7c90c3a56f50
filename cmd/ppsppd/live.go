package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/follow"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// liveFlags are ppsppd live's flags.
type liveFlags struct {
	source, key, keyOut, sig, integrity, listen, advertise, logLevel, resume string
	chunkSize                                                                uint32
	window, chunksPerSig                                                     uint64
	follow                                                                   bool
}

// maxLiveWindow bounds --window as the config bounds live.sources' window.
const maxLiveWindow = 1 << 24

func newLiveCmd() *cobra.Command {
	var f liveFlags
	cmd := &cobra.Command{
		Use:   "live --source FILE|- [--key KEYFILE | --key-out KEYFILE] [--sig ALG] [--integrity umt|signall]",
		Short: "Inject a live stream: print its swarm ID and tswift URL, then serve it until interrupted",
		Example: `  ffmpeg -re -f lavfi -i testsrc -f mpegts - | ppsppd live --source - --key cam.key
  ppsppd live --source /srv/cam.ts --follow --key-out cam.key --listen 0.0.0.0:6778 --advertise 192.0.2.10
  ppsppd live --source cam.fifo --sig ed25519 --integrity signall`,
		Long: `Be the source of a live stream (RFC 7574 §6): read it from --source (standard input with
"-", a file, or a FIFO), cut it into chunks of --chunk-size bytes, sign them and serve them to
the peers that join, until interrupted (Ctrl-C or SIGTERM; exit 0).

Prints two lines: the live swarm ID in hex (the signature algorithm byte and the public key,
RFC 7574 §6.1) and the tswift://HOST:PORT/SWARMHEX URL peers join with (a daemon joins it with
ppsppd add URL, and its HTTP gateway plays it).

The stream is signed with --key KEYFILE (ppsppd keygen, or libswift's -K file). Without it a
new key of --sig is made: with --key-out it is written there (never overwriting), else it is
ephemeral and the stream's ID changes at each run. A stream with a key file (--key or
--key-out) numbers its chunks on from where it stopped when it is started again, so viewers
still joined go on watching: KEYFILE.next (or --resume FILE) keeps the place.

A file is read from its start; with --follow it is then read as it grows, as tail -f does
(until interrupted), else its end ends the stream. A FIFO is read until interrupted, whoever
writes to it. Standard input is read to its end. Chunks are fixed-size: bytes that do not
fill the last chunk are not sent. When the input ends the source serves its last chunks
(the --window behind the live edge) until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, err := f.check(cmd)
			if err != nil {
				return err
			}
			return withSignals(cmd, f.logLevel, func(ctx context.Context, log *zap.Logger) error {
				return runLive(ctx, cmd, f, spec, log)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.source, "source", "", `the stream: a file, a FIFO, or "-" for standard input (required)`)
	fl.StringVar(&f.key, "key", "", "key file to sign with (PEM PKCS#8: ppsppd keygen, libswift -K)")
	fl.StringVar(&f.keyOut, "key-out", "", "with no --key: write the new key here (never overwritten), so the stream keeps its ID")
	fl.StringVar(&f.resume, "resume", "", "file that keeps the stream's place across restarts (default: KEYFILE.next with --key or --key-out; none for an ephemeral key)")
	fl.StringVar(&f.sig, "sig", livesig.DefaultAlg.String(), "signature algorithm of a new key: ecdsa-p256, ecdsa-p384, ed25519, rsa-sha256 or rsa-sha1")
	fl.StringVar(&f.integrity, "integrity", "umt", "live integrity method: umt (Unified Merkle Tree, libswift's) or signall (Sign All)")
	fl.Uint32Var(&f.chunkSize, "chunk-size", swarms.DefaultLiveChunkSize, chunkSizeHelp)
	fl.Uint64Var(&f.window, "window", 0, "chunks kept and served behind the live edge (0: 4096)")
	fl.Uint64Var(&f.chunksPerSig, "chunks-per-sig", 0, "umt: chunks under one signature, a power of two (0: 32, libswift's); fewer sign sooner, for low bit rates")
	fl.BoolVar(&f.follow, "follow", false, "read a file on as it grows, as tail -f (until interrupted)")
	fl.StringVar(&f.listen, "listen", "0.0.0.0:6778", "UDP address to listen on")
	fl.StringVar(&f.advertise, "advertise", "", "HOST or HOST:PORT peers should use to reach this source, put in the printed URL")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

// check validates every flag before anything starts (exit 2 on a bad one) and returns the
// source spec without its key.
func (f liveFlags) check(cmd *cobra.Command) (swarms.LiveSourceSpec, error) {
	var spec swarms.LiveSourceSpec
	if f.source == "" {
		return spec, usagef("--source FILE|- is required")
	}
	if f.follow && f.source == "-" {
		return spec, usagef("--follow is for a file that grows; standard input is read to its end")
	}
	if f.key != "" && f.keyOut != "" {
		return spec, usagef("--key-out is for a new key; --key reads an existing one")
	}
	if f.key != "" && cmd.Flags().Changed("sig") {
		return spec, usagef("--sig is for a new key; the key file %s carries its algorithm", f.key)
	}
	if _, err := livesig.ParseAlg(f.sig); err != nil {
		return spec, usagef("--sig: %w", err)
	}
	if err := checkChunkSizeFlag(f.chunkSize); err != nil {
		return spec, err
	}
	method, err := swarms.ParseLiveIntegrity(f.integrity)
	if err != nil {
		return spec, usagef("--integrity: %w", err)
	}
	if f.window > maxLiveWindow {
		return spec, usagef("--window %d: at most %d chunks", f.window, maxLiveWindow)
	}
	if err := checkAdvertise(f.advertise); err != nil {
		return spec, err
	}
	if err := swarmapi.CheckChunksPerSig(f.chunksPerSig); err != nil {
		return spec, usagef("--chunks-per-sig: %w", err)
	}
	return swarms.LiveSourceSpec{Method: method, ChunkSize: int(f.chunkSize), Window: f.window, ChunksPerSig: f.chunksPerSig}, nil
}

func runLive(ctx context.Context, cmd *cobra.Command, f liveFlags, spec swarms.LiveSourceSpec, log *zap.Logger) error {
	src, name, err := openLiveSource(f)
	if err != nil {
		return err
	}
	defer src.Close()
	key, err := liveSourceKey(cmd, f, log)
	if err != nil {
		return err
	}
	spec.Key, spec.Name = key, name
	spec.ResumeFile = f.resume
	if keyFile := cmp.Or(f.key, f.keyOut); spec.ResumeFile == "" && keyFile != "" {
		spec.ResumeFile = keyFile + ".next"
	}
	m, stop, err := startStandalone(cmd, f.listen, "", log)
	if err != nil {
		return err
	}
	defer stop()
	st, in, err := m.AddLiveSource(ctx, spec)
	if err != nil {
		return err
	}
	defer in.Close()
	if f.advertise == "" && m.LocalAddr().Addr().IsUnspecified() {
		log.Warn("listening on all interfaces; the URL names 127.0.0.1, which only this machine can reach: give the address other peers should use with --advertise HOST",
			zap.Stringer("listen", m.LocalAddr()))
	}
	link := swarmurl.Link{Peer: advertised(m.LocalAddr(), f.advertise), SwarmID: []byte(st.ID), ChunkSize: f.chunkSize,
		Size: -1, Hash: -1, Addressing: -1, Integrity: int(spec.Method)}
	if spec.Method != wire.IntegritySignAll {
		link.Integrity = -1 // the Unified Merkle Tree is what a live link means by default
	}
	if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n%s\n", st.ID, link); err != nil {
		return err
	}
	fed := make(chan error, 1)
	// The feed reads on a goroutine of its own; a read of standard input cannot be
	// interrupted, so at a signal it is left to end with the process. Files and FIFOs are
	// closed below, which ends their reads.
	go func() {
		_, err := io.Copy(in, src)
		fed <- err
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-fed:
		if err != nil {
			return fmt.Errorf("live input %s: %w", name, err)
		}
	}
	log.Info("the input ended; serving the last chunks until interrupted", zap.String("input", name),
		zap.Uint64("chunks", in.Injected()), zap.Int("dropped_partial_chunk_bytes", in.Pending()))
	<-ctx.Done()
	return nil
}

// openLiveSource opens --source: standard input for "-", else a file or FIFO (follow.Open).
func openLiveSource(f liveFlags) (io.ReadCloser, string, error) {
	if f.source == "-" {
		return io.NopCloser(os.Stdin), "standard input", nil
	}
	src, err := follow.Open(f.source, f.follow, 0)
	if err != nil {
		return nil, "", err
	}
	return src, f.source, nil
}

// liveSourceKey reads --key, or makes a new key of --sig and writes it to --key-out (or
// says it is ephemeral).
func liveSourceKey(cmd *cobra.Command, f liveFlags, log *zap.Logger) (*livesig.PrivateKey, error) {
	if f.key != "" {
		return swarms.LiveKey(f.key, "", log)
	}
	k, err := swarms.LiveKey("", f.sig, log)
	if err != nil {
		return nil, err
	}
	if f.keyOut == "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "signing with a new, ephemeral %v key: the stream's ID changes at each run (keep one with --key-out FILE, or make one with ppsppd keygen)\n", k.Alg())
		return k, nil
	}
	if err := livesig.WriteKeyFile(f.keyOut, k); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s exists; a key is never overwritten (it is a stream's identity): sign with it using --key %s, or choose another --key-out", f.keyOut, f.keyOut)
		}
		return nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote a new %v key to %s (mode 0600); run again with --key %s to keep this stream's ID\n", k.Alg(), f.keyOut, f.keyOut)
	return k, nil
}
