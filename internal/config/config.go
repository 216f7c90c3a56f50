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
	"reflect"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/ppsppd/ppsppd/configs"
	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Config is the whole configuration file.
type Config struct {
	Node    Node    `toml:"node"`
	Log     Log     `toml:"log"`
	Seed    Seed    `toml:"seed"`
	Stats   Stats   `toml:"stats"`
	CMD     CMD     `toml:"cmd"`
	HTTP    HTTP    `toml:"http"`
	Limits  Limits  `toml:"limits"`
	DHT     DHT     `toml:"dht"`
	Booster Booster `toml:"booster"`
	Live    Live    `toml:"live"`
}

// Node is the [node] table.
type Node struct {
	Listen     string `toml:"listen"`
	StateDir   string `toml:"state_dir"`
	ContentDir string `toml:"content_dir"`
	// IdleUnload is how long a seed stays loaded with no peer and no reader (a Go
	// duration); "off" keeps every swarm loaded.
	IdleUnload string `toml:"idle_unload"`
	// Congestion is the sender's congestion control: "ledbat++" or "rfc6817"
	// (congestion.ParseVariant). It is our sending behaviour only, not the wire.
	Congestion string `toml:"congestion"`
}

// CongestionVariant is node.congestion as the engine takes it.
func (n Node) CongestionVariant() (congestion.Variant, error) {
	v, err := congestion.ParseVariant(n.Congestion)
	if err != nil {
		return 0, fmt.Errorf("node.congestion: %w", err)
	}
	return v, nil
}

// IdleUnloadDuration is node.idle_unload as the manager takes it: a negative duration for
// "off" (see swarms.Config.IdleUnload).
func (n Node) IdleUnloadDuration() (time.Duration, error) {
	if n.IdleUnload == "off" {
		return -1, nil
	}
	d, err := time.ParseDuration(n.IdleUnload)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("node.idle_unload = %q: want a positive duration such as \"2m\", or \"off\"", n.IdleUnload)
	}
	return d, nil
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

// CMD is the [cmd] table: the line-based control gateway.
type CMD struct {
	Listen        string `toml:"listen"`
	AllowShutdown bool   `toml:"allow_shutdown"`
}

// HTTP is the [http] table: the HTTP gateway that serves swarm content.
type HTTP struct {
	Listen string `toml:"listen"`
}

// DHT is the [dht] table: peer discovery by swarm ID on the BitTorrent mainline DHT
// (BEP 5). Off by default, so that a daemon nobody configured sends nothing beyond the
// peers it is given.
type DHT struct {
	Enabled bool   `toml:"enabled"`
	Listen  string `toml:"listen"` // UDP HOST:PORT of the DHT's own socket
	// Bootstrap are the HOST:PORT nodes a DHT with an empty routing table asks first.
	Bootstrap []string `toml:"bootstrap"`
}

// Limits is the [limits] table. Each value is a rate string for ParseRate; Rates gives the
// numbers.
type Limits struct {
	Upload        string `toml:"upload"`
	Download      string `toml:"download"`
	SwarmUpload   string `toml:"swarm_upload"`
	SwarmDownload string `toml:"swarm_download"`
}

// Rates are the [limits] in bytes per second; 0 means no limit.
type Rates struct {
	Upload, Download           float64 // all swarms together
	SwarmUpload, SwarmDownload float64 // each swarm, unless the swarm has its own cap
}

// Rates parses the [limits] table. Validate has already rejected anything unparsable, so on
// a validated Config this cannot fail; an unparsable value reads as 0 (no limit).
func (l Limits) Rates() Rates {
	parse := func(s string) float64 { r, _ := ParseRate(s); return r }
	return Rates{
		Upload: parse(l.Upload), Download: parse(l.Download),
		SwarmUpload: parse(l.SwarmUpload), SwarmDownload: parse(l.SwarmDownload),
	}
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
	err := d.Decode(c)
	if err == nil {
		return nil
	}
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		return unknownKeys(sm)
	}
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return err
	}
	row, col := de.Position()
	// The decoder names a wrong type by its Go struct field (config.Seed.ChunkSize), which
	// means nothing to someone editing the file; a generic decode compared with Config
	// names the key and the type it wants instead. A syntax error fails the generic decode
	// too and keeps the decoder's message.
	var doc map[string]any
	if toml.Unmarshal(raw, &doc) == nil {
		if terr := checkTypes(doc, reflect.TypeFor[Config](), ""); terr != nil {
			return fmt.Errorf("line %d, column %d: %w", row, col, terr)
		}
	}
	return fmt.Errorf("line %d, column %d: %v", row, col, de)
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
	if c.Seed.ChunkSize < 1 || hashtree.CheckChunkSize(uint64(c.Seed.ChunkSize)) != nil {
		return fmt.Errorf("seed.chunk_size = %d: %w", c.Seed.ChunkSize, hashtree.CheckChunkSize(0))
	}
	if _, err := hashtree.ParseHashFunc(c.Seed.Hash); err != nil {
		return fmt.Errorf("seed.hash = %q: %w", c.Seed.Hash, err)
	}
	if err := c.validateTCPListeners(); err != nil {
		return err
	}
	if _, err := c.Node.IdleUnloadDuration(); err != nil {
		return err
	}
	if _, err := c.Node.CongestionVariant(); err != nil {
		return err
	}
	for _, l := range []struct{ key, value string }{
		{"limits.upload", c.Limits.Upload}, {"limits.download", c.Limits.Download},
		{"limits.swarm_upload", c.Limits.SwarmUpload}, {"limits.swarm_download", c.Limits.SwarmDownload},
	} {
		if _, err := ParseRate(l.value); err != nil {
			return fmt.Errorf("%s = %q: %w", l.key, l.value, err)
		}
	}
	if err := c.validateDHT(); err != nil {
		return err
	}
	if err := c.validateBooster(); err != nil {
		return err
	}
	if err := c.validateLive(); err != nil {
		return err
	}
	if c.Node.StateDir == "" {
		c.Node.StateDir = defaultStateDir()
	}
	if c.Node.ContentDir == "" {
		c.Node.ContentDir = filepath.Join(c.Node.StateDir, "content")
	}
	return nil
}

// validateTCPListeners checks the gateways' addresses, in a fixed order so the same file
// always gives the same error, and rejects two gateways on one address: only one of them
// could bind it.
func (c *Config) validateTCPListeners() error {
	seen := map[string]string{}
	for _, key := range tcpListenKeys {
		addr, _ := c.Listen(key)
		if addr == "" {
			continue // disabled
		}
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s = %q: want HOST:PORT or empty", key, addr)
		}
		if a.Port == 0 {
			continue // the kernel picks a free port each time: no clash
		}
		if other, ok := seen[a.String()]; ok {
			return fmt.Errorf("%s = %q: the same address as %s", key, addr, other)
		}
		seen[a.String()] = key
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

// unknownKeys names each key or table the file has and Config does not, with its line:
// "line 1: unknown table [nodes]", "line 3: unknown key seed.chunksize".
func unknownKeys(sm *toml.StrictMissingError) error {
	msgs := make([]string, 0, len(sm.Errors))
	for i := range sm.Errors {
		e := &sm.Errors[i]
		row, _ := e.Position()
		key := strings.Join(e.Key(), ".")
		what := "unknown key " + key
		if strings.Contains(e.Error(), "missing table") {
			what = "unknown table [" + key + "]"
		}
		msgs = append(msgs, fmt.Sprintf("line %d: %s", row, what))
	}
	if len(msgs) == 0 {
		return fmt.Errorf("unknown key:\n%s", sm.String())
	}
	return errors.New(strings.Join(msgs, "; "))
}
