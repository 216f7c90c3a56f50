// Package configs holds ppsppd's default configuration, built into the binary.
package configs

import _ "embed"

// Default is configs/ppsppd.toml: every key with its default value.
//
//go:embed ppsppd.toml
var Default []byte
