//go:build linux

package netlab

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// NS is one network namespace of a Lab.
type NS struct {
	Name  string // the namespace's real name (ip netns list)
	short string
	lab   *Lab
}

func (ns *NS) String() string { return ns.short }

// Command is a command that runs inside ns. ip netns exec execs the program itself, so
// the returned Cmd's process is the program, and killing it kills the program.
func (ns *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command inside ns to completion and returns what it printed on stdout.
func (ns *NS) Run(name string, args ...string) (string, error) {
	out, err := output("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
	if err != nil {
		return string(out), fmt.Errorf("in %s: %w", ns.short, err)
	}
	return string(out), nil
}

// Must is Run that fails the lab's test on error.
func (ns *NS) Must(name string, args ...string) string {
	ns.lab.t.Helper()
	out, err := ns.Run(name, args...)
	if err != nil {
		ns.lab.t.Fatalf("netlab: %v", err)
	}
	return out
}

// Sysctl sets one kernel variable inside ns (the network ones are per namespace).
func (ns *NS) Sysctl(key, value string) {
	ns.lab.t.Helper()
	ns.Must("sysctl", "-q", "-w", key+"="+value)
}

// SysctlValue reads one kernel variable inside ns.
func (ns *NS) SysctlValue(key string) string {
	ns.lab.t.Helper()
	return strings.TrimSpace(ns.Must("sysctl", "-n", key))
}
