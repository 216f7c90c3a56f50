package main

import (
	"github.com/spf13/cobra"

	"github.com/ppsppd/ppsppd/configs"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "config",
		Short:   "Work with ppsppd's configuration file",
		Example: `  ppsppd config default > /etc/ppsppd/ppsppd.toml`,
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "default",
		Short: "Print the built-in default configuration, every key documented",
		Example: `  ppsppd config default
  ppsppd config default > /etc/ppsppd/ppsppd.toml`,
		Long: `Print the built-in default configuration (configs/ppsppd.toml), every key with its
default value and a comment. A file given to "serve --config" only needs the keys it changes:
  ppsppd config default > /etc/ppsppd/ppsppd.toml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(configs.Default)
			return err
		},
	})
	return cmd
}
