package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/dissect"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

func newDissectCmd() *cobra.Command {
	var (
		asJSON     bool
		addressing string
		hash       string
		chunkSize  uint32
	)
	cmd := &cobra.Command{
		Use:   "dissect FILE",
		Short: "Decode and print the PPSPP datagrams of a pcap, pcapng or hex dump",
		Example: `  ppsppd dissect capture.pcapng
  ppsppd dissect transcript.hex --hash sha256`,
		Long: `Decode every UDP datagram of a capture as PPSPP (RFC 7574) and print one line per
message: datagram index, time, direction, size, destination channel, message type and fields
(long hashes shortened). Each channel's HANDSHAKE is followed, so later datagrams decode with
the chunk addressing, hash and signature lengths it negotiated. FILE may be a pcap or pcapng
(UDP over Ethernet, Linux cooked or raw IP) or a hex dump with one datagram a line:
"SECONDS FROM->TO LENGTH HEX". Use - for standard input.

The --addressing, --hash and --chunk-size flags give the context of channels whose handshake
is not in the capture, and the chunk size for peers that, like libswift, do not send option 9.

Exits non-zero if any datagram fails to decode, naming the first one and the reason.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			base := wire.DefaultContext()
			a, err := wire.ParseAddressing(addressing)
			if err != nil {
				return err
			}
			h, err := hashtree.ParseHashFunc(hash)
			if err != nil {
				return usagef("--hash: %w", err)
			}
			base.Addressing, base.Hash, base.ChunkSize = a, h.Wire(), chunkSize

			var recs []capture.Record
			if args[0] == "-" {
				recs, err = capture.Read(os.Stdin)
			} else {
				recs, err = capture.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			sum, err := dissect.Run(out, recs, dissect.Options{JSON: asJSON, Base: base})
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(cmd.OutOrStdout(), "#", sum)
			}
			if sum.Failed > 0 {
				return fmt.Errorf("%d of %d datagrams failed to decode; first: %s", sum.Failed, sum.Datagrams, sum.FirstFailure)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON object per datagram")
	f.StringVar(&addressing, "addressing", "chunk32", "chunk addressing of channels without a captured handshake: bin32, byte64, chunk32, bin64, chunk64")
	f.StringVar(&hash, "hash", "sha1", "Merkle hash of channels without a captured handshake: sha1, sha224, sha256, sha384, sha512 (sha1, as every command's default)")
	f.Uint32Var(&chunkSize, "chunk-size", 0, "fixed chunk size, when the handshake does not carry it (0: unknown, each DATA runs to the end of its datagram)")
	return cmd
}
