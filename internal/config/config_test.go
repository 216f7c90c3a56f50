package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ppsppd.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	t.Setenv("STATE_DIRECTORY", "/var/lib/ppsppd")
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Node.Listen != "0.0.0.0:6778" || c.Seed.ChunkSize != 1024 || c.Seed.Hash != "sha1" ||
		c.Stats.Listen != "127.0.0.1:6780" || c.Node.StateDir != "/var/lib/ppsppd" || c.Log.Level != "info" {
		t.Fatalf("%+v", c)
	}
}

func TestUserFileOverridesOnlyWhatItSets(t *testing.T) {
	c, err := Load(write(t, "[seed]\npaths = [\"/srv/video\"]\nhash = \"sha256\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Seed.Paths) != 1 || c.Seed.Hash != "sha256" || c.Seed.ChunkSize != 1024 || c.Node.Listen != "0.0.0.0:6778" {
		t.Fatalf("%+v", c)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"[node]\nlisten = \"nonsense\"\n": "node.listen",
		"[log]\nlevel = \"loud\"\n":       "log.level",
		"[seed]\nchunk_size = 0\n":        "seed.chunk_size",
		"[seed]\nhash = \"md5\"\n":        "seed.hash",
		"[stats]\nlisten = \"x\"\n":       "stats.listen",
		"[seed]\nchunksize = 2048\n":      "chunksize",
		"[node\n":                         "line 1",
		"[seed]\nchunk_size = \"big\"\n":  "line 2",
	}
	for body, want := range cases {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %q", body, err, want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("missing file accepted")
	}
}
