package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

func newHashCmd() *cobra.Command {
	var (
		chunkSize uint32
		hash      string
	)
	cmd := &cobra.Command{
		Use:   "hash FILE",
		Short: "Print a file's swarm ID (Merkle root hash), size, chunk count and tswift URL",
		Example: `  ppsppd hash movie.mp4
  ppsppd hash movie.mp4 --chunk-size 8192 --hash sha256`,
		Long: `Hash FILE into the Merkle tree of RFC 7574 §5 (on all cores) and print, on one line:
the swarm ID in hex, the size in bytes, the chunk count, and the tswift: URL libswift would
print for it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkChunkSizeFlag(chunkSize); err != nil {
				return err
			}
			hf, err := hashtree.ParseHashFunc(hash)
			if err != nil {
				return usagef("--hash: %w", err)
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if fi.IsDir() {
				return fmt.Errorf("%s is a directory: hash takes one file", args[0])
			}
			tree, err := hashtree.BuildFromReaderAtContext(cmd.Context(), f, fi.Size(), int(chunkSize), hf)
			if errors.Is(err, hashtree.ErrEmptyContent) {
				return fmt.Errorf("%s is empty: RFC 7574 defines no swarm ID for empty content (libswift refuses it too)", args[0])
			}
			if err != nil {
				return err
			}
			link := swarmurl.Link{SwarmID: tree.Root(), ChunkSize: chunkSize, Size: -1, Hash: -1}
			if hf != hashtree.SHA1 {
				link.Hash = int(hf)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%x %d bytes %d chunks %s\n", tree.Root(), fi.Size(), tree.NumChunks(), link)
			return err
		},
	}
	cmd.Flags().Uint32Var(&chunkSize, "chunk-size", hashtree.DefaultChunkSize, chunkSizeHelp)
	cmd.Flags().StringVar(&hash, "hash", "sha1", hashHelp)
	return cmd
}
