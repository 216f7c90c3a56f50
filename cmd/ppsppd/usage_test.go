package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
)

// TestUsageErrorsExit2: a missing argument, a missing required flag, an unknown flag or
// command, and a bad flag value exit 2 with a pointer to --help.
func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"get"}, {"get", "abcd"}, {"hash", "--bogus", "x"}, {"nosuch"}, {"seed", "a", "b"},
		{"hash", "x", "--chunk-size", "0"}, {"hash", "x", "--hash", "md5"}, {"keygen"}, {"keygen", "--out", "k", "--alg", "dsa"},
	} {
		out, err := exec.Command(binPath, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "--help' for usage") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
}

// TestEveryCommandHasExamples walks the command tree.
func TestEveryCommandHasExamples(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" && !c.Hidden && c.Name() != "help" && c.Name() != "completion" {
			t.Errorf("%q has no Examples section", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
}

func TestVersionFlag(t *testing.T) {
	out, err := exec.Command(binPath, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ppsppd ") || !strings.Contains(string(out), "RFC 7574") {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	same, _ := exec.Command(binPath, "version").CombinedOutput()
	if string(same) != string(out) {
		t.Fatalf("version %q, --version %q", same, out)
	}
}

// TestGetInterruptedExits130: Ctrl-C during a get prints a final progress line, then the
// reason, and exits 130.
func TestGetInterruptedExits130(t *testing.T) {
	url := fmt.Sprintf("tswift://127.0.0.1:%d/%s", freeUDPPort(t), strings.Repeat("ab", 20))
	cmd := exec.Command(binPath, "get", url, "-o", filepath.Join(t.TempDir(), "out"), "--size", "100000",
		"--timeout", "10m", "--log-level", "warn")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stderr)
	first, err := rd.ReadString('\n') // the first progress line: the download runs
	if err != nil || !strings.HasPrefix(first, "progress") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("first line %q (%v)", first, err)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(rd)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v\n%s%s", err, first, rest)
	}
	lines := strings.Split(strings.TrimSpace(first+string(rest)), "\n")
	last := lines[len(lines)-1]
	if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], "progress") || !strings.Contains(last, "interrupted") {
		t.Fatalf("want a final progress line, then the reason:\n%s%s", first, rest)
	}
}
