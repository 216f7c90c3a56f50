package cmdgw

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// TestParseInfoAndPlayLines: the lines the gateway writes read back into what was written.
func TestParseInfoAndPlayLines(t *testing.T) {
	id := swarms.ID("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	st := swarms.Status{ID: id, State: swarms.StateDownloading, Have: 4096, Size: 10000, DownRate: 1.5, Leechers: 2, Seeders: 1}
	r, err := ParseInfoLine(InfoLine(st))
	if err != nil {
		t.Fatal(err)
	}
	want := InfoReport{ID: id.String(), Status: int(swarms.StateDownloading), Have: 4096, Size: 10000, DownRate: 1.5, Leechers: 2, Seeders: 1}
	if r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	gotID, url, err := ParsePlayLine(PlayLine(id, "http://127.0.0.1:6779/"))
	if err != nil || gotID != id.String() || url != "http://127.0.0.1:6779/"+id.String() {
		t.Fatalf("PLAY: %q %q %v", gotID, url, err)
	}
	for _, bad := range []string{"", "INFO", "INFO x 3 1/2 0 0 0", "INFO x a 1/2 0 0 0 0", "PLAY x", "SWARM x y", "PLAY a b c"} {
		if _, err := ParseInfoLine(bad); err == nil {
			t.Errorf("ParseInfoLine(%q) accepted", bad)
		}
		if _, _, err := ParsePlayLine(bad); err == nil {
			t.Errorf("ParsePlayLine(%q) accepted", bad)
		}
	}
}

// TestNextDeadlineIsContextError: a read that ends with ctx's deadline reports
// context.DeadlineExceeded, even when the connection's own deadline fires first.
func TestNextDeadlineIsContextError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close() // says nothing until the test ends
		}
	}()
	c, err := Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
		_, err := c.Next(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next past the deadline: %v", err)
		}
	}
}
