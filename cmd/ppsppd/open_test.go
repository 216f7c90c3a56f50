package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// standInPlayer writes an executable script dir/name that appends each of its arguments,
// one per line, to record: what a player was asked to play.
func standInPlayer(t *testing.T, dir, name, record string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\nfor a in \"$@\"; do printf '%%s\\n' \"$a\"; done >> '%s'\n", record)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// recorded reads the arguments a stand-in player recorded, and empties the record.
func recorded(t *testing.T, record string) []string {
	t.Helper()
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatalf("the player was not started: %v", err)
	}
	if err := os.Remove(record); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// envWithout is the test's environment with the named variables replaced by set.
func envWithout(set ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == playerEnv || k == cmdAddrEnv {
			continue
		}
		env = append(env, kv)
	}
	return append(env, set...)
}

// httpBody fetches url and returns its body.
func httpBody(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return b
}

// TestOpenStartsAPlayerOnTheGateway: a daemon seeds two files; `ppsppd open` drives a second
// daemon over its CMD port and starts a stand-in player, found first on PATH (mpv), named
// by PPSPPD_PLAYER (its words kept), or, with neither, xdg-open on the /watch page. Each
// time the player is given the second daemon's HTTP gateway URL for the swarm, and that
// URL serves the seeded bytes.
func TestOpenStartsAPlayerOnTheGateway(t *testing.T) {
	root := t.TempDir()
	seeder := startDaemon(t, filepath.Join(root, "seeder"), "")
	ids := map[string][]byte{}
	var order []string
	for i, name := range []string{"clip1.bin", "clip2.bin"} {
		path := filepath.Join(root, "seeder", "content", name)
		data := writeContent(t, path, 600<<10+3*i+1, uint64(40+i))
		out, err := seeder.ctl(t, "add", path)
		if err != nil {
			t.Fatalf("seed %s: %v\n%s", name, err, out)
		}
		id := strings.Fields(out)[0]
		ids[id] = data
		order = append(order, id)
	}
	leecher := startDaemon(t, filepath.Join(root, "leecher"), "")
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(root, "args")

	open := func(t *testing.T, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binPath, append([]string{"open", "--cmd", leecher.cmdAddr, "--timeout", "90s"}, args...)...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("open %v: %v\nstdout:\n%s\nstderr:\n%s\nleecher log:\n%s", args, err, stdout.String(), stderr.String(), leecher.stderr.String())
		}
		return stdout.String()
	}

	t.Run("mpv first on PATH, tswift link", func(t *testing.T) {
		id := order[0]
		standInPlayer(t, bin, "mpv", record)
		defer os.Remove(filepath.Join(bin, "mpv"))
		out := open(t, envWithout("PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH")),
			fmt.Sprintf("tswift://%s/%s", seeder.udp, id))
		want := fmt.Sprintf("http://%s/%s", leecher.http, id)
		if got := recorded(t, record); !slices.Equal(got, []string{want}) {
			t.Fatalf("player got %q, want [%q]", got, want)
		}
		if strings.TrimSpace(out) != want {
			t.Fatalf("open printed %q, want the URL %q", out, want)
		}
		if !bytes.Equal(httpBody(t, want), ids[id]) {
			t.Fatal("the URL the player got does not serve the seeded bytes")
		}
	})

	t.Run("PPSPPD_PLAYER, ppsp link", func(t *testing.T) {
		id := order[1]
		player := standInPlayer(t, bin, "my player", record)
		env := envWithout("PATH="+bin, playerEnv+"='"+player+"' --fs \"two words\"")
		open(t, env, fmt.Sprintf("ppsp://%s/%s", seeder.udp, id))
		want := fmt.Sprintf("http://%s/%s", leecher.http, id)
		if got := recorded(t, record); !slices.Equal(got, []string{"--fs", "two words", want}) {
			t.Fatalf("player got %q, want [--fs, two words, %q]", got, want)
		}
		if !bytes.Equal(httpBody(t, want), ids[id]) {
			t.Fatal("the URL the player got does not serve the seeded bytes")
		}
	})

	t.Run("no player but xdg-open, bare swarm ID", func(t *testing.T) {
		id := order[0] // held by now: a bare ID needs no peer
		empty := filepath.Join(root, "xdgbin")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			t.Fatal(err)
		}
		standInPlayer(t, empty, "xdg-open", record)
		open(t, envWithout("PATH="+empty), id)
		want := fmt.Sprintf("http://%s/watch/%s", leecher.http, id)
		if got := recorded(t, record); !slices.Equal(got, []string{want}) {
			t.Fatalf("xdg-open got %q, want [%q]", got, want)
		}
		if page := httpBody(t, want); !bytes.Contains(page, []byte(id)) {
			t.Fatalf("the /watch page does not name the swarm:\n%s", page)
		}
	})
}

// TestOpenWithoutDaemon: with nothing on the CMD port, open fails (exit 1) saying no daemon
// runs and how to have one started; nothing is played.
func TestOpenWithoutDaemon(t *testing.T) {
	root := t.TempDir()
	record := filepath.Join(root, "args")
	player := standInPlayer(t, root, "player", record)
	cmd := exec.Command(binPath, "open", strings.Repeat("ab", 20), "--cmd", fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)))
	cmd.Env = envWithout("PATH="+root, playerEnv+"="+player)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("open with no daemon: %v, want exit %d\n%s", err, exitFailure, out)
	}
	if !strings.Contains(string(out), "no daemon is running") || !strings.Contains(string(out), "--start-daemon") {
		t.Fatalf("open with no daemon says:\n%s", out)
	}
	if _, err := os.Stat(record); err == nil {
		t.Fatal("a player was started with no daemon")
	}
}

// TestOpenBadLinkIsUsageError: a link of another scheme or not hex exits 2.
func TestOpenBadLinkIsUsageError(t *testing.T) {
	for _, link := range []string{"magnet:?xt=urn:btih:abcd", "http://x/y", "tswift://127.0.0.1:6778/zz", "ppsp://127.0.0.1:0/ab"} {
		out, err := exec.Command(binPath, "open", link, "--cmd", "127.0.0.1:1").CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
			t.Errorf("open %q: %v, want exit %d\n%s", link, err, exitUsage, out)
		}
	}
}

var startedPIDRE = regexp.MustCompile(`\(PID (\d+)\)`)

// TestOpenStartsDaemon: with --start-daemon and no daemon on the config's CMD port, open
// starts `ppsppd serve` with that config, says its PID and how to stop it, and plays from
// the new daemon's HTTP gateway; the daemon outlives open and stops on SIGTERM.
func TestOpenStartsDaemon(t *testing.T) {
	root := t.TempDir()
	seeder := startDaemon(t, filepath.Join(root, "seeder"), "")
	path := filepath.Join(root, "seeder", "content", "clip.bin")
	data := writeContent(t, path, 300<<10+7, 51)
	out, err := seeder.ctl(t, "add", path)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]

	state := filepath.Join(root, "started")
	cmdAddr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	cfg := filepath.Join(root, "started.toml")
	body := fmt.Sprintf("[node]\nlisten = \"127.0.0.1:%d\"\nstate_dir = %q\n[http]\nlisten = %q\n[stats]\nlisten = \"\"\n[cmd]\nlisten = %q\n",
		freeUDPPort(t), state, httpAddr, cmdAddr)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(root, "args")
	player := standInPlayer(t, root, "player", record)

	cmd := exec.Command(binPath, "open", "--start-daemon", "--config", cfg, "--timeout", "90s",
		fmt.Sprintf("tswift://%s/%s", seeder.udp, id))
	cmd.Env = envWithout("PATH="+root, playerEnv+"="+player)
	combined, err := cmd.CombinedOutput()
	m := startedPIDRE.FindSubmatch(combined)
	if m != nil {
		pid, _ := strconv.Atoi(string(m[1]))
		t.Cleanup(func() { stopStartedDaemon(t, pid) })
	}
	if err != nil || m == nil {
		t.Fatalf("open --start-daemon: %v\n%s", err, combined)
	}
	pid, _ := strconv.Atoi(string(m[1]))
	if !strings.Contains(string(combined), fmt.Sprintf("kill %d", pid)) || !strings.Contains(string(combined), filepath.Join(state, serveLogName)) {
		t.Fatalf("open does not say how to stop the daemon or where it logs:\n%s", combined)
	}
	want := fmt.Sprintf("http://%s/%s", httpAddr, id)
	if got := recorded(t, record); !slices.Equal(got, []string{want}) {
		t.Fatalf("player got %q, want [%q]", got, want)
	}
	// open has ended; the daemon it started still serves.
	if !bytes.Equal(httpBody(t, want), data) {
		t.Fatal("the started daemon's URL does not serve the seeded bytes")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	waitUntil(t, "the started daemon to exit on SIGTERM", func() bool { return !processRuns(pid) })
}

// stopStartedDaemon ends a daemon open started, if it still runs (a failed test).
func stopStartedDaemon(t *testing.T, pid int) {
	if processRuns(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// processRuns reports whether pid is a live process (not gone, not a zombie waiting for a
// parent that does not reap it).
func processRuns(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}
