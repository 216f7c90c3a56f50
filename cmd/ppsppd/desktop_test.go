package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// desktopFile is the XDG entry that makes ppsppd open tswift: and ppsp: links.
var desktopFile = filepath.Join("..", "..", "deploy", "xdg", "ppsppd.desktop")

// TestDesktopFileRegistersSchemes: the entry runs `ppsppd open %u` for both link schemes,
// and names a command that exists.
func TestDesktopFileRegistersSchemes(t *testing.T) {
	f, err := os.Open(desktopFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			keys[k] = v
		}
	}
	if keys["Exec"] != "ppsppd open %u" || keys["Type"] != "Application" {
		t.Fatalf("Exec %q, Type %q", keys["Exec"], keys["Type"])
	}
	mimes := strings.Split(strings.TrimSuffix(keys["MimeType"], ";"), ";")
	for _, want := range []string{"x-scheme-handler/tswift", "x-scheme-handler/ppsp"} {
		if !slices.Contains(mimes, want) {
			t.Errorf("MimeType %q lacks %s", keys["MimeType"], want)
		}
	}
	if c, _, err := newRootCmd().Find([]string{"open"}); err != nil || c.Name() != "open" {
		t.Fatalf("the entry's command does not exist: %v", err)
	}
}

// TestDesktopFileValidates runs desktop-file-validate (Debian: desktop-file-utils) on the
// entry; it is skipped where the tool is not installed.
func TestDesktopFileValidates(t *testing.T) {
	tool, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		t.Skip("desktop-file-validate not installed (package desktop-file-utils)")
	}
	if out, err := exec.Command(tool, desktopFile).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("desktop-file-validate: %v\n%s", err, out)
	}
}
