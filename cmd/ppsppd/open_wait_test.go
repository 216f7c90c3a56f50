package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

// scriptedDaemon accepts one CMD connection and runs script on it, standing in for a
// daemon whose replies the test chooses.
func scriptedDaemon(t *testing.T, script func(r *bufio.Reader, w net.Conn)) *cmdgw.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(bufio.NewReader(nc), nc)
	}()
	c, err := cmdgw.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); ln.Close(); <-done })
	return c
}

func expectLine(r *bufio.Reader, want string) bool {
	l, err := r.ReadString('\n')
	return err == nil && strings.TrimRight(l, "\r\n") == want
}

func send(w net.Conn, lines ...string) {
	for _, l := range lines {
		_, _ = w.Write([]byte(l + "\r\n"))
	}
}

// TestWaitPlayable: PLAY after progress gives the URL; an ERROR is a refusal; a complete
// swarm reported without PLAY means the HTTP gateway is off; a swarm that never becomes
// playable ends with the deadline, after which the connection still answers LIST.
func TestWaitPlayable(t *testing.T) {
	link := "tswift://127.0.0.1:6778/" + cliID
	url := "http://127.0.0.1:6779/" + cliID
	t.Run("play", func(t *testing.T) {
		c := scriptedDaemon(t, func(r *bufio.Reader, w net.Conn) {
			if expectLine(r, "START "+link) {
				send(w, "INFO "+cliID+" 2 0/0 0.000000 0.000000 0 0", "INFO "+cliID+" 3 1024/700000 5.000000 0.000000 0 1",
					"INFO 0101010101010101010101010101010101010101 3 0/0 0.000000 0.000000 0 0",
					"INFO "+cliID+" 3 300000/700000 5.000000 0.000000 0 1", "PLAY "+cliID+" "+url)
			}
			_, _ = io.Copy(io.Discard, r)
		})
		var progress strings.Builder
		got, err := waitPlayable(context.Background(), c, link, cliID, &progress)
		if err != nil || got != url {
			t.Fatalf("waitPlayable = %q, %v", got, err)
		}
		if !strings.Contains(progress.String(), "1024/700000 bytes") {
			t.Fatalf("progress %q", progress.String())
		}
	})
	t.Run("refused", func(t *testing.T) {
		c := scriptedDaemon(t, func(r *bufio.Reader, w net.Conn) {
			if expectLine(r, "START "+link) {
				send(w, "ERROR "+cliID+" bad swarm: no room")
			}
			_, _ = io.Copy(io.Discard, r)
		})
		if _, err := waitPlayable(context.Background(), c, link, cliID, io.Discard); err == nil || !strings.Contains(err.Error(), "no room") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("no HTTP gateway", func(t *testing.T) {
		c := scriptedDaemon(t, func(r *bufio.Reader, w net.Conn) {
			if expectLine(r, "START "+link) {
				send(w, "INFO "+cliID+" 4 700000/700000 0.000000 0.000000 0 0", "INFO "+cliID+" 4 700000/700000 0.000000 0.000000 0 0")
			}
			_, _ = io.Copy(io.Discard, r)
		})
		if _, err := waitPlayable(context.Background(), c, link, cliID, io.Discard); !errors.Is(err, errNoHTTPGateway) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		c := scriptedDaemon(t, func(r *bufio.Reader, w net.Conn) {
			if !expectLine(r, "START "+link) {
				return
			}
			send(w, "INFO "+cliID+" 3 0/0 0.000000 0.000000 0 0")
			if expectLine(r, "LIST "+cliID) {
				send(w, "INFO "+cliID+" 3 0/0 0.000000 0.000000 0 0",
					"SWARM "+cliID+" downloading 0/0 0 0 0 no peer answers", "OK")
			}
			_, _ = io.Copy(io.Discard, r)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := waitPlayable(ctx, c, link, cliID, io.Discard)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		if s := swarmSituation(context.Background(), c, cliID); s != "downloading, 0/? bytes, 0 peers: no peer answers" {
			t.Fatalf("situation %q", s)
		}
	})
}
