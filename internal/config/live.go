package config

import (
	"fmt"
	"path/filepath"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Live is the [live] table: the live streams (RFC 7574 §6) the daemon injects from its
// start, one [[live.sources]] table each.
type Live struct {
	Sources []LiveSource `toml:"sources"`
}

// LiveSource is one [[live.sources]] table.
type LiveSource struct {
	// Path is the stream's input: a file, read from its start and then as it grows (unless
	// follow = false), or a FIFO, read for as long as the daemon runs.
	Path string `toml:"path"`
	// KeyFile is the stream's key (ppsppd keygen --out FILE). Required: the swarm ID is the
	// key's public half, so a key made at each start would break every link at each
	// restart.
	KeyFile string `toml:"key_file"`
	// ChunkSize in bytes, 0 for 1024; Integrity "umt" (the default) or "signall"; Window
	// the chunks kept behind the live edge, 0 for the default (4096).
	ChunkSize int    `toml:"chunk_size"`
	Integrity string `toml:"integrity"`
	Window    int64  `toml:"window"`
	// ChunksPerSig is the Unified Merkle Tree's munro width, a power of two; 0 for 32
	// (libswift's). Fewer sign sooner, for low bit rates.
	ChunksPerSig int64 `toml:"chunks_per_sig"`
	// Follow reads a regular file on as it grows (the default, true).
	Follow *bool `toml:"follow"`
}

// Following is Follow with its default.
func (s LiveSource) Following() bool { return s.Follow == nil || *s.Follow }

// MaxLiveWindow bounds live.sources' window: 2^24 chunks (16 GiB of 1 KiB chunks in
// memory), more than any stream needs behind its edge.
const MaxLiveWindow = 1 << 24

// validateLive checks every [[live.sources]] table. Files are not opened here: a missing
// input or key file is reported when the daemon starts the source.
func (c *Config) validateLive() error {
	seen := map[string]int{}
	for i, s := range c.Live.Sources {
		key := fmt.Sprintf("live.sources[%d]", i)
		if s.Path == "" {
			return fmt.Errorf("%s.path: required: the file or FIFO the stream is read from", key)
		}
		if !filepath.IsAbs(s.Path) {
			return fmt.Errorf("%s.path = %q: want an absolute path", key, s.Path)
		}
		p := filepath.Clean(s.Path)
		if j, dup := seen[p]; dup {
			return fmt.Errorf("%s.path = %q: the same input as live.sources[%d]", key, s.Path, j)
		}
		seen[p] = i
		if s.KeyFile == "" {
			return fmt.Errorf("%s.key_file: required (make one with `ppsppd keygen --out FILE`): the stream's swarm ID is its key, and a new key at each start would break its links", key)
		}
		if !filepath.IsAbs(s.KeyFile) {
			return fmt.Errorf("%s.key_file = %q: want an absolute path", key, s.KeyFile)
		}
		if s.ChunkSize != 0 && (s.ChunkSize < 0 || hashtree.CheckChunkSize(uint64(s.ChunkSize)) != nil) {
			return fmt.Errorf("%s.chunk_size = %d: %w (0 for 1024)", key, s.ChunkSize, hashtree.CheckChunkSize(0))
		}
		if _, err := swarmapi.ParseLiveIntegrity(s.Integrity); err != nil {
			return fmt.Errorf("%s.integrity = %q: want \"umt\" or \"signall\"", key, s.Integrity)
		}
		if s.Window < 0 || s.Window > MaxLiveWindow {
			return fmt.Errorf("%s.window = %d: want 0 (the default, 4096) to %d chunks", key, s.Window, MaxLiveWindow)
		}
		if err := swarmapi.CheckChunksPerSig(uint64(s.ChunksPerSig)); s.ChunksPerSig < 0 || err != nil {
			return fmt.Errorf("%s.chunks_per_sig = %d: want 0 (32) or a power of two up to %d", key, s.ChunksPerSig, swarmapi.MaxChunksPerSig)
		}
	}
	return nil
}
