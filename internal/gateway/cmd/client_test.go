package cmdgw

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestClientCommands runs ppsppd's own commands through Client, as the CLI does.
func TestClientCommands(t *testing.T) {
	ts := startServer(t, Options{Version: "v9.9.9"})
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	c, err := Dial(ctx, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	do := func(line string) []string {
		t.Helper()
		r, err := c.Do(ctx, line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		checkForms(t, r)
		return r
	}

	r := do("ADD " + hexID + " peer=127.0.0.1:20051 dest=sub")
	if len(r) != 1 {
		t.Fatalf("ADD reply %q", r)
	}
	info, err := ParseSwarmLine(r[0])
	if err != nil || info.ID != hexID || info.State != "allocating" || info.Size != 1049600 {
		t.Errorf("ADD: %+v, %v", info, err)
	}
	if r := do("ADD " + hexID); len(r) != 1 || !strings.HasPrefix(r[0], "SWARM "+hexID) {
		t.Errorf("second ADD reply %q", r)
	}
	if r := do("LIST"); len(r) != 1 || !strings.HasPrefix(r[0], "SWARM "+hexID+" ") {
		t.Errorf("LIST = %q", r)
	}
	if r := do("PEERS " + hexID); len(r) != 1 || r[0] != "PEER 127.0.0.1:20051 seeder 1025 0 1048699 30922 1138887" {
		t.Errorf("PEERS = %q", r)
	}

	// Limits: global, then one swarm, one direction at a time; MAXSPEED is the same cap.
	if r := do("LIMIT"); len(r) != 1 || r[0] != "LIMIT global up=0 down=0" {
		t.Errorf("LIMIT = %q", r)
	}
	if r := do("LIMIT global down=1M"); r[0] != "LIMIT global up=0 down=1048576" {
		t.Errorf("LIMIT global down=1M = %q", r)
	}
	if r := do("LIMIT global up=2k"); r[0] != "LIMIT global up=2048 down=1048576" {
		t.Errorf("LIMIT global up=2k = %q", r)
	}
	if r := do("LIMIT " + hexID + " up=100"); r[0] != "LIMIT "+hexID+" up=100 down=0" {
		t.Errorf("LIMIT swarm = %q", r)
	}
	// libswift's commands answer nothing on success: Send, not Do.
	if err := c.Send(ctx, "MAXSPEED "+hexID+" DOWNLOAD 1.5"); err != nil {
		t.Fatal(err)
	}
	if r := do("LIMIT " + hexID); r[0] != "LIMIT "+hexID+" up=100 down=1536" {
		t.Errorf("LIMIT after MAXSPEED = %q", r)
	}

	if r := do("HELP"); len(r) < 10 {
		t.Errorf("HELP = %q", r)
	}
	if r := do("VERSION"); r[0] != "VERSION ppsppd v9.9.9 PPSPP/1 (RFC 7574)" {
		t.Errorf("VERSION = %q", r)
	}

	do("RM " + hexID + " delete")
	_, err = c.Do(ctx, "RM "+hexID)
	var re *ReplyError
	if !errors.As(err, &re) || re.ID != hexID || re.Text != "unknown swarm" {
		t.Errorf("RM of a removed swarm: %v", err)
	}
	if calls := ts.m.Calls(); !strings.Contains(strings.Join(calls, "\n"), "remove "+hexID+" state=true content=true") {
		t.Errorf("RM delete reached the manager as %q", calls)
	}
}

// TestDialNoDaemon: nothing listening gives the message the CLI prints.
func TestDialNoDaemon(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(context.Background(), addr)
	if !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("Dial to a closed port: %v, want ErrNoDaemon", err)
	}
	if want := "no daemon is running on " + addr + " — start one with `ppsppd serve`"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}
