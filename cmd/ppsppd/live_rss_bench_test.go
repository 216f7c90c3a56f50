package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLivePeerRSS is issue 12's memory number with real processes: a `ppsppd live`
// source fed a 16 Mbit/s stream on stdin, and a `ppsppd serve` daemon that joined it (and
// plays it to an HTTP client reading as fast as it comes), on loopback. It reports the
// daemon's RSS and Go heap in use after 10 s of stream, halfway and after LIVE_RSS_SECONDS more (default 120: 2 minutes
// at 16 Mbit/s are 16 minutes of a 2 Mbit/s stream, 234,000 chunks of 1 KiB), and the live
// edge the daemon reached.
func BenchmarkLivePeerRSS(b *testing.B) {
	long := 120 * time.Second
	if v, err := strconv.Atoi(os.Getenv("LIVE_RSS_SECONDS")); err == nil && v > 0 {
		long = time.Duration(v) * time.Second
	}
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		src := exec.CommandContext(ctx, binPath, "live", "--source", "-", "--listen", "127.0.0.1:0", "--log-level", "warn")
		in, err := src.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		out, err := src.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Start(); err != nil {
			b.Fatal(err)
		}
		go feedStream(ctx, in, 16e6)
		sc := bufio.NewScanner(out)
		var lines []string
		for len(lines) < 2 && sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) < 2 {
			b.Fatalf("ppsppd live printed %q", lines)
		}
		d := startDaemonStats(b, b.TempDir(), "", true)
		d.ctlB(b, "add", lines[1])
		go func() {
			// A player on the stream, so the gateway's path is in the measure too.
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.http+"/"+lines[0], nil)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		time.Sleep(10 * time.Second)
		short, heapShort := rssKiB(b, d.cmd.Process.Pid), heapInUseOf(b, d)
		edgeShort := liveProgress(b, d, lines[0])
		time.Sleep(long / 2)
		midRSS, heapMid := rssKiB(b, d.cmd.Process.Pid), heapInUseOf(b, d)
		time.Sleep(long - long/2)
		longRSS, heapLong := rssKiB(b, d.cmd.Process.Pid), heapInUseOf(b, d)
		edgeLong := liveProgress(b, d, lines[0])
		cancel()
		_ = src.Wait()
		b.ReportMetric(float64(short)/1024, "MiB-RSS-after-10s")
		b.ReportMetric(float64(midRSS)/1024, "MiB-RSS-halfway")
		b.ReportMetric(heapMid/(1<<20), "MiB-heap-halfway")
		b.ReportMetric(float64(longRSS)/1024, fmt.Sprintf("MiB-RSS-after-%ds", int((10*time.Second+long).Seconds())))
		b.ReportMetric(heapShort/(1<<20), "MiB-heap-after-10s")
		b.ReportMetric(heapLong/(1<<20), "MiB-heap-at-end")
		b.ReportMetric(float64(edgeShort), "bytes-at-10s")
		b.ReportMetric(float64(edgeLong), "bytes-at-end")
	}
}

// feedStream writes bits per second of numbered 1 KiB blocks to w until ctx ends.
func feedStream(ctx context.Context, w io.WriteCloser, bits float64) {
	defer w.Close()
	const block = 16 << 10
	period := time.Duration(float64(time.Second) * block * 8 / bits)
	buf := make([]byte, block)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for n := uint64(0); ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		binary.BigEndian.PutUint64(buf, n)
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

// heapInUseOf reads the daemon's Go heap in use from its STATS gateway.
func heapInUseOf(b *testing.B, d *daemon) float64 {
	resp, err := http.Get("http://" + d.stats + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	b.Fatal("no go_memstats_heap_inuse_bytes on /metrics")
	return 0
}

// liveProgress reads the bytes a live swarm has reached from `ppsppd ls`.
func liveProgress(b *testing.B, d *daemon, hexID string) int64 {
	o := d.ctlB(b, "ls")
	for _, l := range strings.Split(o, "\n") {
		if !strings.HasPrefix(l, hexID) {
			continue
		}
		if _, rest, ok := strings.Cut(l, "live, "); ok {
			v, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return v
		}
	}
	b.Fatalf("ls has no live line for the stream:\n%s", o)
	return 0
}
