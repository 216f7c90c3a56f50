// Package config loads ppsppd's configuration: the embedded defaults first, then the user's
// file on top (only the keys it sets change), then validation that names the offending key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"

	"github.com/ppsppd/ppsppd/configs"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Config is the whole configuration file.
type Config struct {
	Node  Node  `toml:"node"`
	Log   Log   `toml:"log"`
	Seed  Seed  `toml:"seed"`
	Stats Stats `toml:"stats"`
}

// Node is the [node] table.
type Node struct {
	Listen   string `toml:"listen"`
	StateDir string `toml:"state_dir"`
}

// Log is the [log] table.
type Log struct {
	Level string `toml:"level"`
}

// Seed is the [seed] table.
type Seed struct {
	Paths     []string `toml:"paths"`
	ChunkSize int      `toml:"chunk_size"`
	Hash      string   `toml:"hash"`
}

// Stats is the [stats] table.
type Stats struct {
	Listen string `toml:"listen"`
}

// Load reads the defaults and then, when path is not empty, the user's file over them.
func Load(path string) (Config, error) {
	var c Config
	if err := decode(configs.Default, &c); err != nil {
		return c, fmt.Errorf("built-in defaults: %w", err)
	}
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := decode(raw, &c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := c.Validate(); err != nil {
		if path != "" {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		return c, err
	}
	return c, nil
}

func decode(raw []byte, c *Config) error {
	d := toml.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(c); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return fmt.Errorf("unknown key:\n%s", sm.String())
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return fmt.Errorf("line %d, column %d: %v", row, col, de)
		}
		return err
	}
	return nil
}

// Validate checks every key and fills derived values (the state directory).
func (c *Config) Validate() error {
	if _, err := net.ResolveUDPAddr("udp", c.Node.Listen); err != nil || c.Node.Listen == "" {
		return fmt.Errorf("node.listen = %q: want HOST:PORT", c.Node.Listen)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level = %q: want debug, info, warn or error", c.Log.Level)
	}
	if c.Seed.ChunkSize < 1 || c.Seed.ChunkSize > 16<<10 {
		return fmt.Errorf("seed.chunk_size = %d: want 1 to 16384 bytes", c.Seed.ChunkSize)
	}
	if _, err := hashtree.ParseHashFunc(c.Seed.Hash); err != nil {
		return fmt.Errorf("seed.hash = %q: %w", c.Seed.Hash, err)
	}
	if c.Stats.Listen != "" {
		if _, err := net.ResolveTCPAddr("tcp", c.Stats.Listen); err != nil {
			return fmt.Errorf("stats.listen = %q: want HOST:PORT or empty", c.Stats.Listen)
		}
	}
	if c.Node.StateDir == "" {
		c.Node.StateDir = defaultStateDir()
	}
	return nil
}

func defaultStateDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		return d // systemd's StateDirectory=
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ppsppd")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "ppsppd")
	}
	return filepath.Join(os.TempDir(), "ppsppd")
}
