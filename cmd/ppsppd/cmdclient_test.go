package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// stubDaemon answers each command line it reads with the canned reply for it, and
// records the lines; it stands in for a daemon's CMD gateway.
func stubDaemon(t *testing.T, replies map[string][]string) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(nc)
			l, err := r.ReadString('\n')
			if err == nil {
				l = strings.TrimRight(l, "\r\n")
				got <- l
				reply, ok := replies[l]
				if !ok {
					reply = []string{"ERROR 0000000000000000000000000000000000000000 unknown command: test stub"}
				}
				for _, line := range reply {
					_, _ = nc.Write([]byte(line + "\r\n"))
				}
			}
			nc.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String(), got
}

const cliID = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"

func TestClientSubcommands(t *testing.T) {
	addr, got := stubDaemon(t, map[string][]string{
		"ADD " + cliID + " peer=127.0.0.1:6778 peer=[::1]:6778 dest=videos": {"SWARM " + cliID + " allocating 0/1049600 0 0 0", "OK"},
		"LIST":                      {"SWARM " + cliID + " downloading 524288/1048699 2048 0 1 slow peer", "OK"},
		"RM " + cliID + " delete":   {"OK"},
		"LIMIT down=2m":             {"LIMIT global up=0 down=2097152", "OK"},
		"LIMIT " + cliID + " up=1k": {"LIMIT " + cliID + " up=1024 down=0", "OK"},
	})
	cases := []struct {
		args []string
		sent string
		want []string // substrings of the output
	}{
		{[]string{"add", cliID, "--peer", "127.0.0.1:6778", "--peer", "[::1]:6778", "--dest", "videos"},
			"ADD " + cliID + " peer=127.0.0.1:6778 peer=[::1]:6778 dest=videos", []string{cliID + " allocating 0/1049600 bytes"}},
		{[]string{"ls"}, "LIST", []string{"STATE", cliID, "downloading", "524288/1048699 bytes (50.0%)", "2.0 KiB/s", "slow peer"}},
		{[]string{"rm", cliID, "--delete"}, "RM " + cliID + " delete", []string{"removed and deleted " + cliID}},
		{[]string{"limit", "--down", "2m"}, "LIMIT down=2m", []string{"global: up no cap, down 2.0 MiB/s"}},
		{[]string{"limit", cliID, "--up", "1k"}, "LIMIT " + cliID + " up=1k", []string{cliID + ": up 1.0 KiB/s, down no cap"}},
	}
	for _, c := range cases {
		out, err := runCLI(t, append(c.args, "--cmd", addr)...)
		select {
		case sent := <-got:
			if sent != c.sent {
				t.Errorf("%v sent %q, want %q", c.args, sent, c.sent)
			}
		case <-time.After(20 * time.Second): // a hang guard, not a speed check
			t.Fatalf("%v sent nothing (%v)", c.args, err)
		}
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v printed %q, want it to contain %q", c.args, out, w)
			}
		}
	}
	// The daemon's ERROR reaches the user.
	_, err := runCLI(t, "rm", cliID, "--cmd", addr)
	if err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("rm with an ERROR reply: %v", err)
	}
}

func TestClientSubcommandsNoDaemon(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	t.Setenv(cmdAddrEnv, addr) // the environment variable picks the address too
	for _, args := range [][]string{{"ls"}, {"add", cliID}, {"rm", cliID}, {"limit"}} {
		_, err := runCLI(t, args...)
		want := "no daemon is running on " + addr + " — start one with `ppsppd serve`"
		if err == nil || err.Error() != want {
			t.Errorf("%v: %v, want %q", args, err, want)
		}
	}
}

func TestClientSubcommandsRefuseSpaces(t *testing.T) {
	if _, err := runCLI(t, "add", cliID, "--dest", "a b", "--cmd", "127.0.0.1:1"); err == nil {
		t.Error("a --dest with a space was sent as two protocol words")
	}
}
