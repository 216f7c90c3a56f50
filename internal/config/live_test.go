package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadString(t *testing.T, text string) (Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ppsppd.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(path)
}

// TestLiveSourcesAccepted: [[live.sources]] tables decode with their defaults (follow on,
// 0 for chunk size and window, umt).
func TestLiveSourcesAccepted(t *testing.T) {
	c, err := Load("")
	if err != nil || len(c.Live.Sources) != 0 {
		t.Fatalf("defaults: %v, %+v", err, c.Live)
	}
	c, err = loadString(t, `
[[live.sources]]
path = "/srv/cam.ts"
key_file = "/etc/ppsppd/cam.key"

[[live.sources]]
path = "/srv/mic.fifo"
key_file = "/etc/ppsppd/mic.key"
chunk_size = 8192
integrity = "signall"
window = 512
chunks_per_sig = 8
follow = false
`)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Live.Sources
	if len(s) != 2 || s[0].Path != "/srv/cam.ts" || !s[0].Following() || s[0].ChunkSize != 0 || s[0].Integrity != "" {
		t.Fatalf("first source %+v", s)
	}
	if s[1].ChunkSize != 8192 || s[1].Integrity != "signall" || s[1].Window != 512 || s[1].ChunksPerSig != 8 || s[1].Following() {
		t.Fatalf("second source %+v", s[1])
	}
}

// TestLiveSourcesErrorsNameTheKey: each bad value is refused with its key and index.
func TestLiveSourcesErrorsNameTheKey(t *testing.T) {
	const ok = "path = \"/srv/a.ts\"\nkey_file = \"/k\"\n"
	for _, tc := range []struct{ body, want string }{
		{"key_file = \"/k\"\n", "live.sources[0].path: required"},
		{"path = \"a.ts\"\nkey_file = \"/k\"\n", "live.sources[0].path = \"a.ts\": want an absolute path"},
		{"path = \"/srv/a.ts\"\n", "live.sources[0].key_file: required"},
		{"path = \"/srv/a.ts\"\nkey_file = \"k.pem\"\n", "live.sources[0].key_file = \"k.pem\": want an absolute path"},
		{ok + "chunk_size = 70000\n", "live.sources[0].chunk_size = 70000"},
		{ok + "chunk_size = -1\n", "live.sources[0].chunk_size = -1"},
		{ok + "integrity = \"merkle\"\n", "live.sources[0].integrity = \"merkle\": want \"umt\" or \"signall\""},
		{ok + "window = -5\n", "live.sources[0].window = -5"},
		{ok + "chunks_per_sig = 12\n", "live.sources[0].chunks_per_sig = 12"},
		{ok + "chunks_per_sig = -8\n", "live.sources[0].chunks_per_sig = -8"},
		{ok + "window = 99999999999\n", "live.sources[0].window = 99999999999"},
		{ok + "follow = \"yes\"\n", "live.sources[0].follow: want a boolean (true or false), got a string"},
		{ok + "colour = \"blue\"\n", "unknown key live.sources.colour"},
	} {
		_, err := loadString(t, "[[live.sources]]\n"+tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.body, err, tc.want)
		}
	}
	_, err := loadString(t, "[[live.sources]]\n"+ok+"[[live.sources]]\npath = \"/srv/../srv/a.ts\"\nkey_file = \"/k2\"\n")
	if err == nil || !strings.Contains(err.Error(), "live.sources[1].path = \"/srv/../srv/a.ts\": the same input as live.sources[0]") {
		t.Errorf("duplicate input: %v", err)
	}
}
