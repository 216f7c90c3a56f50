package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is a `ppsppd serve` process started by a test, with systemd's notify socket.
type daemon struct {
	cmd     *exec.Cmd
	cmdAddr string
	udp     string
	http    string // HTTP gateway address
	stats   string // STATS gateway address; empty when disabled
	stderr  *lockedBuffer
	notify  *net.UnixConn
	config  string // the config file it runs with
}

// startDaemon runs `ppsppd serve` on free loopback ports with its state in stateDir and a
// real unixgram NOTIFY_SOCKET, as systemd provides, and waits for READY=1.
func startDaemon(t testing.TB, stateDir, extra string) *daemon {
	t.Helper()
	return startDaemonStats(t, stateDir, extra, false)
}

// startDaemonStats is startDaemon with, when stats is set, the STATS gateway on a free
// loopback port (daemon.stats).
func startDaemonStats(t testing.TB, stateDir, extra string, stats bool) *daemon {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmdAddr: fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)), udp: fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)),
		http:   fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)),
		stderr: new(lockedBuffer), notify: notify}
	if stats {
		d.stats = fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	}
	cfg := filepath.Join(dir, "ppsppd.toml")
	d.config = cfg
	// extra goes into the [cmd] table.
	body := fmt.Sprintf("[node]\nlisten = %q\nstate_dir = %q\n[http]\nlisten = %q\n[stats]\nlisten = %q\n[cmd]\nlisten = %q\n%s",
		d.udp, stateDir, d.http, d.stats, d.cmdAddr, extra)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(binPath, "serve", "--config", cfg)
	d.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			_ = d.cmd.Wait()
		}
		notify.Close()
		if t.Failed() {
			t.Logf("serve stderr:\n%s", d.stderr.String())
		}
	})
	d.expectNotify(t, "READY=1")
	return d
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// expectNotify reads notify datagrams until one holds want.
func (d *daemon) expectNotify(t testing.TB, want string) string {
	t.Helper()
	buf := make([]byte, 4096)
	_ = d.notify.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		n, err := d.notify.Read(buf)
		if err != nil {
			t.Fatalf("no %q from the daemon: %v", want, err)
		}
		if msg := string(buf[:n]); strings.Contains(msg, want) {
			return msg
		}
	}
}

// ctl runs a CLI client command against the daemon.
func (d *daemon) ctl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binPath, append(args, "--cmd", d.cmdAddr)...).CombinedOutput()
	return string(out), err
}

// stop sends SIGTERM and checks for STOPPING=1 and exit status 0.
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	d.expectNotify(t, "STOPPING=1")
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM", err)
	}
}

// TestDaemonAddListRemoveRestart drives two daemons the way a user does: the CLI makes one
// seed a file and the other download it, `ls` shows both, the downloader is restarted and
// comes back seeding from its checkpoint (no rehash), and `rm --delete` cleans up.
func TestDaemonAddListRemoveRestart(t *testing.T) {
	root := t.TempDir()
	seedState, leechState := filepath.Join(root, "seeder"), filepath.Join(root, "leecher")
	seeder := startDaemon(t, seedState, "")
	leecher := startDaemon(t, leechState, "")

	file := filepath.Join(seedState, "content", "movie.bin")
	data := writeContent(t, file, 1<<20+77, 11)
	out, err := seeder.ctl(t, "add", file)
	if err != nil || !strings.Contains(out, "seeding") {
		t.Fatalf("add FILE: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]
	// A file outside the content directory is refused, with the reason.
	outside := filepath.Join(root, "secret.txt")
	writeContent(t, outside, 100, 1)
	if out, err := seeder.ctl(t, "add", outside); err == nil || !strings.Contains(out, "outside the content directory") {
		t.Fatalf("add of a file outside the content directory: %v\n%s", err, out)
	}

	if out, err := leecher.ctl(t, "add", id, "--peer", seeder.udp); err != nil {
		t.Fatalf("add ID: %v\n%s", err, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := leecher.ctl(t, "ls")
		if err == nil && strings.Contains(out, id) && strings.Contains(out, "seeding") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("download did not complete:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, err := os.ReadFile(filepath.Join(leechState, "content", id))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded copy differs (%v)", err)
	}
	// SHUTDOWN is refused by default, with the reason, and the daemon goes on.
	reply := cmdLine(t, leecher.cmdAddr, "SHUTDOWN")
	if !strings.HasPrefix(reply, "ERROR ") || !strings.Contains(reply, "allow_shutdown") {
		t.Fatalf("SHUTDOWN answered %q", reply)
	}
	leecher.stop(t)

	again := startDaemon(t, leechState, "")
	out, err = again.ctl(t, "ls")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "seeding") {
		t.Fatalf("after restart: %v\n%s", err, out)
	}
	// A completed download comes back as a record (zero state: loaded from its layer file
	// when a peer or reader asks), or loaded from its checkpoint: never hashed again.
	if log := again.stderr.String(); strings.Contains(log, `"recovered_from": "rehash"`) || strings.Contains(log, "rehashing") {
		t.Fatalf("restarted swarm was hashed again:\n%s", log)
	}
	if out, err := again.ctl(t, "rm", id, "--delete"); err != nil {
		t.Fatalf("rm: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(leechState, "content", id)); !os.IsNotExist(err) {
		t.Fatalf("content still there after rm --delete: %v", err)
	}
	if out, _ := again.ctl(t, "ls"); strings.Contains(out, id) {
		t.Fatalf("removed swarm still listed:\n%s", out)
	}
	again.stop(t)
	seeder.stop(t)
}

// TestDaemonShutdownWhenAllowed: with cmd.allow_shutdown the SHUTDOWN command stops the
// daemon cleanly (exit 0).
func TestDaemonShutdownWhenAllowed(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "allow_shutdown = true\n")
	_ = cmdLine(t, d.cmdAddr, "SHUTDOWN")
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SHUTDOWN: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SHUTDOWN did not stop the daemon")
	}
}

// TestDaemonBusyPortExit2: a port in use is a configuration error naming its key.
func TestDaemonBusyPortExit2(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	body := fmt.Sprintf("[node]\nlisten = \"127.0.0.1:0\"\nstate_dir = %q\n[cmd]\nlisten = %q\n[http]\nlisten = \"\"\n[stats]\nlisten = \"\"\n",
		dir, busy.Addr().String())
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binPath, "serve", "--config", cfg).CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitConfig || !strings.Contains(string(out), "cmd.listen") {
		t.Fatalf("exit %v, output %s", err, out)
	}
}

// cmdLine sends one line to a CMD gateway and returns the first line of the reply.
func cmdLine(t *testing.T, addr, line string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\r\n", line); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && !strings.Contains(line, "SHUTDOWN") {
		t.Fatal(err)
	}
	return strings.TrimSpace(reply)
}

// TestDaemonReloadOnSIGHUP: SIGHUP rereads the config file: new rate limits and log level
// apply at once (LIMIT shows them), a changed key that needs a restart is named in the log,
// and systemd hears RELOADING=1 then READY=1.
func TestDaemonReloadOnSIGHUP(t *testing.T) {
	d := startDaemon(t, t.TempDir(), "")
	raw, err := os.ReadFile(d.config)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), "[http]", "[limits]\ndownload = \"2MiB\"\nupload = \"512KiB\"\n[log]\nlevel = \"debug\"\n[http]", 1)
	changed = strings.Replace(changed, fmt.Sprintf("listen = %q", d.udp), `listen = "127.0.0.1:1"`, 1)
	if err := os.WriteFile(d.config, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.expectNotify(t, "RELOADING=1")
	d.expectNotify(t, "READY=1")
	out, err := d.ctl(t, "limit")
	if err != nil || !strings.Contains(out, "up 512.0 KiB/s") || !strings.Contains(out, "down 2.0 MiB/s") {
		t.Fatalf("limits after SIGHUP: %v\n%s", err, out)
	}
	log := d.stderr.String()
	if !strings.Contains(log, "configuration reread") || !strings.Contains(log, "node.listen") {
		t.Fatalf("reload not logged with the key that needs a restart:\n%s", log)
	}
	if !strings.Contains(log, "DEBUG") {
		t.Fatalf("log level debug not applied:\n%s", log)
	}
	d.stop(t)
}
