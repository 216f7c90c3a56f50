package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		"mpv":                           {"mpv"},
		"  mpv   --fs\t-v ":             {"mpv", "--fs", "-v"},
		`'/opt/my player/mpv' --fs`:     {"/opt/my player/mpv", "--fs"},
		`vlc "--meta-title=a \"b\" \c"`: {"vlc", `--meta-title=a "b" \c`},
		`a\ b c''d ''`:                  {"a b", "cd", ""},
	} {
		got, err := splitWords(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", `'open`, `"open`, `mpv\`} {
		if got, err := splitWords(bad); err == nil {
			t.Errorf("splitWords(%q) = %q, want an error", bad, got)
		}
	}
}

func TestOpenLink(t *testing.T) {
	const hex = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"
	// The link goes to the daemon as given (trimmed): its START reads ppsp: and any case.
	for in, want := range map[string]string{
		"ppsp://127.0.0.1:6778/" + hex + "$2048": "ppsp://127.0.0.1:6778/" + hex + "$2048",
		"PPSP://127.0.0.1:6778/" + hex:           "PPSP://127.0.0.1:6778/" + hex,
		"TSwift://[::1]:6778/" + hex + "?cl=5":   "TSwift://[::1]:6778/" + hex + "?cl=5",
		" " + hex + "\n":                         hex,
	} {
		got, l, err := openLink(in)
		if err != nil || got != want || len(l.SwarmID) != 20 {
			t.Errorf("openLink(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "magnet:?xt=urn:btih:" + hex, "ppsp://x/" + hex, "ppsp:/zz", "http://127.0.0.1/" + hex} {
		if got, _, err := openLink(bad); err == nil {
			t.Errorf("openLink(%q) = %q, want an error", bad, got)
		}
	}
}

// TestChoosePlayer: PPSPPD_PLAYER first, then mpv, then vlc on PATH, then xdg-open on the
// /watch page; with none of them, an error that names the URL.
func TestChoosePlayer(t *testing.T) {
	const hex = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"
	url := "http://127.0.0.1:6779/" + hex
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := choosePlayer("", url, hex); err == nil {
		t.Fatal("no player on PATH, yet one was chosen")
	}
	xdg := mk("xdg-open")
	if p, err := choosePlayer("", url, hex); err != nil || !slices.Equal(p.argv, []string{xdg, "http://127.0.0.1:6779/watch/" + hex}) {
		t.Fatalf("xdg-open: %+v %v", p, err)
	}
	vlc := mk("vlc")
	if p, _ := choosePlayer("", url, hex); !slices.Equal(p.argv, []string{vlc, url}) {
		t.Fatalf("vlc: %+v", p)
	}
	mpv := mk("mpv")
	if p, _ := choosePlayer("", url, hex); !slices.Equal(p.argv, []string{mpv, url}) {
		t.Fatalf("mpv: %+v", p)
	}
	if p, _ := choosePlayer("celluloid --new-window", url, hex); !slices.Equal(p.argv, []string{"celluloid", "--new-window", url}) {
		t.Fatalf("PPSPPD_PLAYER: %+v", p)
	}
	if _, err := choosePlayer("'unclosed", url, hex); err == nil {
		t.Fatal("a malformed PPSPPD_PLAYER was accepted")
	}
}
