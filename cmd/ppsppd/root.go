package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	var cpuProfile string
	var stopProfile func()
	root := &cobra.Command{
		Use:   "ppsppd",
		Short: "A PPSPP (RFC 7574) peer: download, seed and stream over the Peer-to-Peer Streaming Peer Protocol",
		Example: `  ppsppd seed movie.mp4                              # prints a tswift:// URL to share
  ppsppd get tswift://127.0.0.1:6778/HEX -o movie.mp4
  ppsppd serve --config /etc/ppsppd/ppsppd.toml       # the daemon; then ppsppd add/ls/rm/limit
  ppsppd open tswift://127.0.0.1:6778/HEX             # the daemon fetches it, a player plays it
  ppsppd --version`,
		Version: buildVersion(),
		// Errors are printed once by main; usage is shown only for usage mistakes.
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if cpuProfile == "" {
				return nil
			}
			f, err := os.Create(cpuProfile)
			if err != nil {
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return fmt.Errorf("--cpuprofile: %w", err)
			}
			stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if stopProfile != nil {
				stopProfile()
			}
		},
	}
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file (for performance work)")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.AddCommand(newVersionCmd(), newDissectCmd(), newHashCmd(), newKeygenCmd(), newLiveCmd(), newSeedCmd(), newGetCmd(), newBenchCmd(), newServeCmd(), newConfigCmd())
	root.AddCommand(newAddCmd(), newLsCmd(), newRmCmd(), newLimitCmd(), newOpenCmd()) // clients of a running daemon's CMD gateway
	root.SetVersionTemplate(versionLine() + "\n")
	markUsageErrors(root)
	return root
}
