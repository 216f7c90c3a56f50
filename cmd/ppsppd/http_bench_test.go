package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Benchmarks of the HTTP gateway with real daemons over loopback (issue 11). Each reports
// its numbers with b.ReportMetric; run them once each with
//
//	go test -run '^$' -bench 'Gateway|FFprobe' -benchtime 1x ./cmd/ppsppd
//
// (make bench-http). They assert only that the bytes served are the right ones, never how
// fast: the numbers are for reading, not for passing.

// benchMiB is the size of the throughput benchmark's file: 512 MiB, or PPSPPD_BENCH_MIB for
// quick runs.
func benchMiB(b *testing.B) int {
	v := os.Getenv("PPSPPD_BENCH_MIB")
	if v == "" {
		return 512
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("PPSPPD_BENCH_MIB=%q: want a positive number of MiB", v)
	}
	return n
}

// writeChaChaFile writes size bytes of a seeded ChaCha8 stream in 1 MiB chunks, so large
// contents need neither memory nor a stored file, and are the same on every run.
func writeChaChaFile(b *testing.B, path string, size int64, seed byte) {
	b.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	gen := rand.NewChaCha8([32]byte{seed})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		_, _ = gen.Read(buf[:n]) // ChaCha8.Read never fails
		if _, err := f.Write(buf[:n]); err != nil {
			b.Fatal(err)
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// ctlB runs a CLI client command against the daemon (daemon.ctl for benchmarks).
func (d *daemon) ctlB(b *testing.B, args ...string) string {
	b.Helper()
	out, err := d.ctl(b, args...)
	if err != nil {
		b.Fatalf("ppsppd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// seedFile has the daemon seed path and returns the swarm ID.
func (d *daemon) seedFile(b *testing.B, path string) string {
	b.Helper()
	out := d.ctlB(b, "add", path)
	if !strings.Contains(out, "seeding") {
		b.Fatalf("add %s: %s", path, out)
	}
	return strings.Fields(out)[0]
}

// waitSeedingID polls `ls` until swarm id is seeding.
func (d *daemon) waitSeedingID(b *testing.B, id string, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		out := d.ctlB(b, "ls")
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, id) && strings.Contains(l, "seeding") {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("swarm %s not seeding after %v:\n%s", id, limit, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mibPerSec is n bytes over d in MiB/s.
func mibPerSec(n int64, d time.Duration) float64 {
	return float64(n) / (1 << 20) / d.Seconds()
}

// BenchmarkGatewayThroughput: a daemon seeds a generated file (512 MiB, or
// PPSPPD_BENCH_MIB); the whole swarm is read through that daemon's HTTP gateway with Go's
// client and with curl, and, in the same run, the same file straight from disk (page
// cache: the file was just written and hashed) with a 1 MiB buffer.
func BenchmarkGatewayThroughput(b *testing.B) {
	size := int64(benchMiB(b)) << 20
	state := b.TempDir()
	file := filepath.Join(state, "content", "big.bin")
	writeChaChaFile(b, file, size, 1)
	d := startDaemon(b, state, "")
	id := d.seedFile(b, file)
	d.waitSeedingID(b, id, 5*time.Minute)
	url := fmt.Sprintf("http://%s/%s", d.http, id)
	_, haveCurl := exec.LookPath("curl")

	var goRate, curlRate, diskRate float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		n := httpGetAll(b, url)
		goRate = mibPerSec(n, time.Since(start))
		if n != size {
			b.Fatalf("gateway GET: %d bytes, want %d", n, size)
		}

		if haveCurl == nil {
			start = time.Now()
			out, err := exec.Command("curl", "-sf", "-o", "/dev/null", "-w", "%{size_download}", url).Output()
			elapsed := time.Since(start)
			if err != nil || strings.TrimSpace(string(out)) != strconv.FormatInt(size, 10) {
				b.Fatalf("curl: %v, downloaded %q of %d", err, out, size)
			}
			curlRate = mibPerSec(size, elapsed)
		}

		start = time.Now()
		n = readFileBuffered(b, file)
		diskRate = mibPerSec(n, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(size>>20), "MiB")
	b.ReportMetric(goRate, "MiB/s-gateway-go")
	if haveCurl == nil {
		b.ReportMetric(curlRate, "MiB/s-gateway-curl")
	}
	b.ReportMetric(diskRate, "MiB/s-disk")
	d.stop(b)
}

// httpGetAll GETs url and returns how many body bytes came.
func httpGetAll(b *testing.B, url string) int64 {
	b.Helper()
	resp, err := http.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		b.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, 1<<20))
	if err != nil {
		b.Fatalf("GET %s: after %d bytes: %v", url, n, err)
	}
	return n
}

// readFileBuffered reads path through an os.File with a 1 MiB buffer.
func readFileBuffered(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := f.Read(buf)
		total += int64(n)
		if err == io.EOF {
			return total
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// percentile is the p-th percentile (nearest rank) of sorted ds.
func percentile(ds []time.Duration, p int) time.Duration {
	i := (len(ds)*p+99)/100 - 1
	return ds[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkGatewayTTFB: a seeder daemon holds 64 MiB; a second daemon holds none of it.
// Twenty times, at a random offset, a Range read of 64 KiB goes to the second daemon's
// gateway with ?peer= naming the seeder, so the request itself starts the swarm; the time
// from sending the request to the first body byte is recorded, the bytes are compared
// with the source, and `rm --delete` puts the second daemon back to holding nothing.
func BenchmarkGatewayTTFB(b *testing.B) {
	const (
		size  = 64 << 20
		span  = 64 << 10
		tries = 20
	)
	seedState := b.TempDir()
	file := filepath.Join(seedState, "content", "ttfb.bin")
	writeChaChaFile(b, file, size, 2)
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	seeder := startDaemon(b, seedState, "")
	id := seeder.seedFile(b, file)
	seeder.waitSeedingID(b, id, 2*time.Minute)
	player := startDaemon(b, b.TempDir(), "")
	url := fmt.Sprintf("http://%s/%s?peer=%s", player.http, id, seeder.udp)

	var ttfb, whole []time.Duration
	r := rand.New(rand.NewPCG(11, 12))
	b.ResetTimer()
	for range b.N {
		for range tries {
			off := r.Int64N(size - span)
			first, all := rangeRead(b, url, off, span, data[off:off+span])
			ttfb = append(ttfb, first)
			whole = append(whole, all)
			b.StopTimer()
			player.ctlB(b, "rm", id, "--delete")
			b.StartTimer()
		}
	}
	b.StopTimer()
	slices.Sort(ttfb)
	slices.Sort(whole)
	b.ReportMetric(ms(percentile(ttfb, 50)), "ms-TTFB-median")
	b.ReportMetric(ms(percentile(ttfb, 90)), "ms-TTFB-p90")
	b.ReportMetric(ms(percentile(whole, 50)), "ms-64KiB-median")
	b.Logf("TTFB (ms, sorted): %v", msList(ttfb))
	player.stop(b)
	seeder.stop(b)
}

func msList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = ms(d)
	}
	return out
}

// rangeRead reads bytes off..off+len(want)-1 from url and returns the time to the first
// body byte and to the last, checking the bytes against want.
func rangeRead(b *testing.B, url string, off int64, span int, want []byte) (first, all time.Duration) {
	b.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+int64(span)-1))
	// A fresh connection each time, so no try inherits another's.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		b.Fatalf("Range at %d: %s\n%s", off, resp.Status, body)
	}
	got := make([]byte, span)
	n, err := resp.Body.Read(got)
	for n == 0 && err == nil {
		n, err = resp.Body.Read(got)
	}
	first = time.Since(start)
	if n == 0 {
		b.Fatalf("Range at %d: no body: %v", off, err)
	}
	if _, err := io.ReadFull(resp.Body, got[n:]); err != nil {
		b.Fatalf("Range at %d: after %d bytes: %v", off, n, err)
	}
	all = time.Since(start)
	if !bytes.Equal(got, want) {
		b.Fatalf("Range at %d: bytes differ from the source", off)
	}
	return first, all
}

// makeBigMP4 encodes a moov-at-end H.264 MP4 of about mib MiB (noise on ffmpeg's test
// pattern keeps x264 at the asked bitrate) and returns its size.
func makeBigMP4(b *testing.B, path string, mib int) int64 {
	b.Helper()
	const seconds = 40
	rate := mib * 8 * (1 << 20) / seconds // bits per second for mib MiB in seconds
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=25:duration=%d", seconds),
		"-vf", "noise=alls=30:allf=t",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
		"-b:v", strconv.Itoa(rate), "-maxrate", strconv.Itoa(rate), "-bufsize", strconv.Itoa(rate),
		path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkFFprobeMoovAtEnd: a ~100 MiB MP4 whose moov atom is at the end, seeded by one
// daemon capped at 4 MiB/s upload; a second daemon holds none of it. ffprobe runs on the
// second daemon's gateway URL (so it needs the start, the moov at the end and the first
// frames: a few seeks); then the swarm is removed with --delete and the whole file is
// downloaded through the gateway. Both times are reported, and their ratio.
func BenchmarkFFprobeMoovAtEnd(b *testing.B) {
	for _, p := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(p); err != nil {
			b.Skipf("%s is not installed; skipping", p)
		}
	}
	seedState := b.TempDir()
	src := filepath.Join(seedState, "content", "movie.mp4")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		b.Fatal(err)
	}
	size := makeBigMP4(b, src, 100)
	seeder := startDaemon(b, seedState, "[limits]\nupload = \"4MiB\"\n")
	id := seeder.seedFile(b, src)
	seeder.waitSeedingID(b, id, 2*time.Minute)
	player := startDaemon(b, b.TempDir(), "")
	url := fmt.Sprintf("http://%s/%s?peer=%s", player.http, id, seeder.udp)

	var probe, download time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name",
			"-of", "default=nw=1", url).CombinedOutput()
		probe = time.Since(start)
		if err != nil || !strings.Contains(string(out), "codec_name=h264") || !strings.Contains(string(out), "duration=40.") {
			b.Fatalf("ffprobe through the gateway: %v\n%s", err, out)
		}
		b.StopTimer()
		b.Logf("after ffprobe: %s", strings.TrimSpace(player.ctlB(b, "ls")))
		player.ctlB(b, "rm", id, "--delete")
		b.StartTimer()

		start = time.Now()
		n := httpGetAll(b, url)
		download = time.Since(start)
		if n != size {
			b.Fatalf("whole download: %d bytes, want %d", n, size)
		}
		b.StopTimer()
		player.ctlB(b, "rm", id, "--delete")
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(size)/(1<<20), "MiB")
	b.ReportMetric(probe.Seconds(), "s-ffprobe")
	b.ReportMetric(download.Seconds(), "s-whole-download")
	b.ReportMetric(100*probe.Seconds()/download.Seconds(), "%-ffprobe-of-download")
	player.stop(b)
	seeder.stop(b)
}
