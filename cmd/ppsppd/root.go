package main

import "github.com/spf13/cobra"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ppsppd",
		Short: "A PPSPP (RFC 7574) peer: download, seed and stream over the Peer-to-Peer Streaming Peer Protocol",
		// Errors are printed once by main; usage is shown only for usage mistakes.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.AddCommand(newVersionCmd(), newDissectCmd(), newHashCmd(), newSeedCmd(), newGetCmd(), newBenchCmd())
	return root
}
