package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkDaemon1000Swarms: 1,000 files seeded through the CMD port of a real daemon, then
// the daemon restarted: how long until all 1,000 are back and seeding, the daemon's RSS
// before and after, and the latency of LIST with 1,000 swarms. Run with
//
//	go test -run '^$' -bench Daemon1000 -benchtime 1x ./cmd/ppsppd
func BenchmarkDaemon1000Swarms(b *testing.B) {
	const swarms = 1000
	for range b.N {
		state := filepath.Join(b.TempDir(), "state")
		paths := writeSeedFiles(b, filepath.Join(state, "content"), swarms, "swarm", 1400) // ~16 KiB each
		d := startDaemon(b, state, "")
		conn := dialCMD(b, d.cmdAddr)
		start := time.Now()
		conn.seedAll(b, paths)
		addTime := time.Since(start)
		waitSeeding(b, conn, swarms)
		rssBefore := rssKiB(b, d.cmd.Process.Pid)
		listLatency := conn.listLatency(b, 50)
		conn.close()
		d.stop(b)

		start = time.Now()
		d2 := startDaemon(b, state, "")
		readyTime := time.Since(start)
		conn = dialCMD(b, d2.cmdAddr)
		waitSeeding(b, conn, swarms)
		backTime := time.Since(start)
		rssAfter := rssKiB(b, d2.cmd.Process.Pid)
		conn.close()
		d2.stop(b)

		b.ReportMetric(addTime.Seconds(), "s-add-1000")
		b.ReportMetric(readyTime.Seconds(), "s-restart-ready")
		b.ReportMetric(backTime.Seconds(), "s-restart-all-seeding")
		b.ReportMetric(float64(rssBefore)/1024, "MiB-rss-before")
		b.ReportMetric(float64(rssAfter)/1024, "MiB-rss-after")
		b.ReportMetric(float64(listLatency.Microseconds())/1000, "ms-LIST-median")
	}
}

type cmdConn struct {
	c net.Conn
	r *bufio.Reader
}

// writeSeedFiles writes n distinct files into dir (made if missing), each the line
// "LABEL NNNNNN " repeated repeat times, and returns their paths.
func writeSeedFiles(b *testing.B, dir string, n int, label string, repeat int) []string {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	paths := make([]string, n)
	for i := range n {
		paths[i] = filepath.Join(dir, fmt.Sprintf("%s%06d.bin", label, i))
		data := []byte(strings.Repeat(fmt.Sprintf("%s %06d ", label, i), repeat))
		if err := os.WriteFile(paths[i], data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}

// seedAll has the daemon seed each of paths, one SEED line each.
func (c *cmdConn) seedAll(b *testing.B, paths []string) {
	for _, p := range paths {
		c.roundTrip(b, "SEED "+p)
	}
}

func dialCMD(b *testing.B, addr string) *cmdConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	return &cmdConn{c: c, r: bufio.NewReaderSize(c, 1<<20)}
}

func (c *cmdConn) close() { c.c.Close() }

// roundTrip sends a line and returns the reply lines up to OK.
func (c *cmdConn) roundTrip(b *testing.B, line string) []string {
	if _, err := fmt.Fprintf(c.c, "%s\r\n", line); err != nil {
		b.Fatal(err)
	}
	var out []string
	for {
		l, err := c.r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "OK"):
			return out
		case strings.HasPrefix(l, "ERROR"):
			b.Fatalf("%s: %s", line, l)
		}
		out = append(out, l)
	}
}

func waitSeeding(b *testing.B, c *cmdConn, n int) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		seeding := 0
		for _, l := range c.roundTrip(b, "LIST") {
			if strings.Fields(l)[2] == "seeding" {
				seeding++
			}
		}
		if seeding == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d seeding", seeding, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listLatency is the median time of n LIST round trips.
func (c *cmdConn) listLatency(b *testing.B, n int) time.Duration {
	var ds []time.Duration
	for range n {
		start := time.Now()
		c.roundTrip(b, "LIST")
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func rssKiB(b *testing.B, pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			v, _ := strconv.Atoi(strings.Fields(rest)[0])
			return v
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
