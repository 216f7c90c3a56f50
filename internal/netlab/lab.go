//go:build linux

package netlab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NamePrefix starts the name of every namespace a Lab creates; the sweep in New looks only
// at names with it.
const NamePrefix = "ppnl"

// Lab is one test's set of namespaces. Its methods fail the test on error: a lab that
// cannot be built says why and stops the test.
type Lab struct {
	t      testing.TB
	prefix string // NamePrefix + PID + "-"

	mu  sync.Mutex
	nss []*NS
	seq int
}

// New returns an empty lab whose namespaces are removed when t ends. It skips t when not
// root or when ip, nft or tc are missing (tools names further commands New also requires,
// e.g. "iperf3"), and first removes namespaces a dead test process left behind.
func New(t testing.TB, tools ...string) *Lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("netlab: needs root (network namespaces); run make test-net as root")
	}
	for _, tool := range append([]string{"ip", "nft", "tc"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("netlab: %s not found (Debian: iproute2, nftables, iperf3)", tool)
		}
	}
	sweepStale()
	l := &Lab{t: t, prefix: NamePrefix + strconv.Itoa(os.Getpid()) + "-"}
	t.Cleanup(l.close)
	return l
}

// NS creates a namespace with its loopback up. name is for humans (it ends the real name);
// it must be short: interface names are limited, and the real name is prefix+PID+seq+name.
func (l *Lab) NS(name string) *NS {
	l.t.Helper()
	l.mu.Lock()
	l.seq++
	full := fmt.Sprintf("%s%d-%s", l.prefix, l.seq, name)
	l.mu.Unlock()
	if err := run("ip", "netns", "add", full); err != nil {
		l.t.Fatalf("netlab: %v", err)
	}
	ns := &NS{Name: full, short: name, lab: l}
	l.mu.Lock()
	l.nss = append(l.nss, ns)
	l.mu.Unlock()
	ns.Must("ip", "link", "set", "lo", "up")
	return ns
}

// close removes every namespace of the lab, in reverse order of creation. It runs from
// t.Cleanup, after a failure or a panic in the test too.
func (l *Lab) close() {
	l.mu.Lock()
	nss := l.nss
	l.nss = nil
	l.mu.Unlock()
	for i := len(nss) - 1; i >= 0; i-- {
		if err := removeNS(nss[i].Name); err != nil {
			l.t.Errorf("netlab cleanup: %v", err)
		}
	}
}

// sweepStale removes namespaces named with NamePrefix whose creating process has exited.
// Errors are ignored: another sweeper may be removing the same namespace.
func sweepStale() {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		pid, ok := creatorPID(name)
		if !ok || processExists(pid) {
			continue
		}
		_ = removeNS(name)
	}
}

// creatorPID reads the PID out of a name NamePrefix+PID+"-"+...
func creatorPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, NamePrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeNS kills what still runs in namespace name (only processes a lab started live
// there) and deletes it. A namespace whose processes are not gone yet would outlive its
// name, holding its interfaces, so the kill is waited for.
func removeNS(name string) error {
	for range 50 {
		out, err := exec.Command("ip", "netns", "pids", name).Output()
		if err != nil {
			break // already gone, or unreadable: try the delete anyway
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := run("ip", "netns", "del", name); err != nil && !strings.Contains(err.Error(), "No such file") {
		return err
	}
	return nil
}

// run runs a command to completion; its error carries the command line and what it printed.
func run(name string, args ...string) error {
	_, err := output(name, args...)
	return err
}

func output(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
