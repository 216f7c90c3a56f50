package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ppsppd/ppsppd/internal/config"
	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

// serveLogName is the file, in the state directory, a daemon that open starts logs to.
const serveLogName = "serve.log"

// daemonStartTimeout bounds the wait for a daemon open started to answer on its CMD port
// (a state directory with many swarms takes a while to load).
const daemonStartTimeout = 30 * time.Second

// dialOrStart connects to the running daemon's CMD gateway at addr. When none runs it fails
// with a hint, or, with start, starts one (`ppsppd serve [--config cfgPath]`) and connects
// to it. The address is then the one the daemon's config names for cmd.listen.
func dialOrStart(ctx context.Context, cmd *cobra.Command, addr string, start bool, cfgPath string) (*cmdgw.Client, error) {
	var cfg config.Config
	if start {
		var err error
		if cfg, err = config.Load(cfgPath); err != nil {
			return nil, configError{err}
		}
		if cfg.CMD.Listen == "" {
			return nil, configError{errors.New("--start-daemon: the daemon's config turns its CMD gateway off (cmd.listen = \"\"), so open could not talk to it")}
		}
		if cmd.Flags().Changed("cmd") && addr != cfg.CMD.Listen {
			return nil, usagef("--cmd %s differs from cmd.listen %s in the config of the daemon --start-daemon starts", addr, cfg.CMD.Listen)
		}
		addr = cfg.CMD.Listen
	}
	c, err := cmdgw.Dial(ctx, addr)
	if err == nil || !errors.Is(err, cmdgw.ErrNoDaemon) {
		return c, err
	}
	if !start {
		return nil, fmt.Errorf("%w; or run `ppsppd open --start-daemon LINK` to have open start one", err)
	}
	pid, logPath, err := startServe(ctx, cfgPath, cfg, addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "started the daemon: ppsppd serve (PID %d), log %s; it keeps running after open ends: stop it with `kill %d`\n",
		pid, logPath, pid)
	return cmdgw.Dial(ctx, addr)
}

// startServe starts `ppsppd serve` in its own session (so that closing open's terminal does
// not stop it), logging to STATE/serve.log, and waits until its CMD gateway at addr answers.
// A daemon that exits first (a bad config, a port in use) is reported with its log's end.
func startServe(ctx context.Context, cfgPath string, cfg config.Config, addr string) (pid int, logPath string, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, "", fmt.Errorf("--start-daemon: finding the ppsppd binary: %w", err)
	}
	if err := os.MkdirAll(cfg.Node.StateDir, 0o750); err != nil {
		return 0, "", fmt.Errorf("--start-daemon: state directory: %w", err)
	}
	logPath = filepath.Join(cfg.Node.StateDir, serveLogName)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return 0, "", fmt.Errorf("--start-daemon: log file: %w", err)
	}
	defer logFile.Close() // the daemon has its own descriptor
	args := []string{"serve"}
	if cfgPath != "" {
		abs, err := filepath.Abs(cfgPath)
		if err != nil {
			return 0, "", fmt.Errorf("--config: %w", err)
		}
		args = append(args, "--config", abs)
	}
	d := exec.Command(self, args...)
	d.Stdout, d.Stderr = logFile, logFile
	d.Dir = "/"
	d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Start(); err != nil {
		return 0, "", fmt.Errorf("--start-daemon: %w", err)
	}
	// Reaps the daemon if it exits while open still runs; open never stops it.
	exited := make(chan error, 1)
	go func() { exited <- d.Wait() }()

	wait, cancel := context.WithTimeout(ctx, daemonStartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := cmdgw.Dial(wait, addr)
		if err == nil {
			c.Close()
			return d.Process.Pid, logPath, nil
		}
		select {
		case err := <-exited:
			return 0, "", fmt.Errorf("--start-daemon: ppsppd serve exited (%v) before answering on %s; the end of %s:\n%s",
				err, addr, logPath, logTail(logPath, 10))
		case <-wait.Done():
			return 0, "", fmt.Errorf("--start-daemon: ppsppd serve (PID %d, still running) did not answer on %s within %v; see %s",
				d.Process.Pid, addr, daemonStartTimeout, logPath)
		case <-tick.C:
		}
	}
}

// logTail is the last n lines of a file, for an error message.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
