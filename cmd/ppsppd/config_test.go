package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/configs"
	"github.com/ppsppd/ppsppd/internal/config"
)

// TestConfigDefaultPrintsEmbeddedFile runs `ppsppd config default` in process and checks
// that it prints the embedded file byte for byte, and that the output loads as a config.
func TestConfigDefaultPrintsEmbeddedFile(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"config", "default"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), configs.Default) {
		t.Fatalf("printed %d bytes, not the embedded default (%d bytes)", out.Len(), len(configs.Default))
	}
	p := filepath.Join(t.TempDir(), "ppsppd.toml")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(p); err != nil {
		t.Fatalf("printed default does not load: %v", err)
	}
}
