package main

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// Benchmarks of zero-state swarms (issue 15, "memory grows with what is active"). Run with
// make bench-scale (10,000 swarms, cold HANDSHAKE latency) and make bench-bigseed (16 GiB).

// benchInt reads a positive integer from the environment, or def.
func benchInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkDaemonScale10k: 10,000 small files seeded through the CMD port of one daemon,
// then a restart: the daemon's RSS once all are seeding (those seeded more than
// node.idle_unload ago already unloaded), the time to READY and the RSS
// after the restart (every swarm a record), LIST latency, and the latency of the first reply
// to a HANDSHAKE for a cold swarm (loaded by that HANDSHAKE) next to one for a loaded swarm,
// over PPSPPD_BENCH_COLD (200) swarms on loopback. PPSPPD_BENCH_SWARMS changes the count.
func BenchmarkDaemonScale10k(b *testing.B) {
	swarms := benchInt("PPSPPD_BENCH_SWARMS", 10_000)
	coldN := min(benchInt("PPSPPD_BENCH_COLD", 200), swarms)
	for range b.N {
		root := b.TempDir()
		state := filepath.Join(root, "state")
		paths := writeSeedFiles(b, filepath.Join(state, "content"), swarms, "swarm", 300) // ~4 KiB each
		d := startDaemon(b, state, "")
		conn := dialCMD(b, d.cmdAddr)
		start := time.Now()
		conn.seedAll(b, paths)
		addTime := time.Since(start)
		ids := waitSeedingIDs(b, conn, swarms)
		rssSeeded := rssKiB(b, d.cmd.Process.Pid)
		conn.close()
		d.stop(b)

		start = time.Now()
		d2 := startDaemon(b, state, "")
		readyTime := time.Since(start)
		conn = dialCMD(b, d2.cmdAddr)
		waitSeedingIDs(b, conn, swarms) // records show seeding at once
		rssRecords := rssKiB(b, d2.cmd.Process.Pid)
		listLatency := conn.listLatency(b, 20)

		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		cold := handshakeLatencies(b, d2.udp, ids[:coldN], 1)
		warm := handshakeLatencies(b, d2.udp, ids[:coldN], 1<<20)
		rssAfterCold := rssKiB(b, d2.cmd.Process.Pid)
		slices.Sort(cold) // percentile takes sorted durations
		slices.Sort(warm)
		conn.close()
		d2.stop(b)

		b.ReportMetric(float64(swarms), "swarms")
		b.ReportMetric(addTime.Seconds(), "s-seed-all")
		b.ReportMetric(float64(rssSeeded)/1024, "MiB-rss-after-seeding")
		b.ReportMetric(readyTime.Seconds(), "s-restart-ready")
		b.ReportMetric(float64(rssRecords)/1024, "MiB-rss-restart-records")
		b.ReportMetric(float64(listLatency.Microseconds())/1000, "ms-LIST-median")
		b.ReportMetric(ms(percentile(cold, 50)), "ms-cold-hs-p50")
		b.ReportMetric(ms(percentile(cold, 90)), "ms-cold-hs-p90")
		b.ReportMetric(ms(percentile(warm, 50)), "ms-warm-hs-p50")
		b.ReportMetric(ms(percentile(warm, 90)), "ms-warm-hs-p90")
		b.ReportMetric(float64(rssAfterCold)/1024, "MiB-rss-after-cold-loads")
	}
}

// waitSeedingIDs waits until n swarms are seeding and returns their IDs.
func waitSeedingIDs(b *testing.B, c *cmdConn, n int) [][]byte {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var ids [][]byte
		for _, l := range c.roundTrip(b, "LIST") {
			f := strings.Fields(l)
			if len(f) > 2 && f[2] == "seeding" {
				id, err := hex.DecodeString(f[1])
				if err != nil {
					b.Fatalf("LIST line %q: %v", l, err)
				}
				ids = append(ids, id)
			}
		}
		if len(ids) == n {
			return ids
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d seeding", len(ids), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// handshakeLatencies sends one HANDSHAKE (RFC 7574 §3.1.1, the options the engine and
// libswift's RFC form use) per swarm from a fresh socket, and times the first reply. The
// channel IDs start at base, so a second round opens new channels.
func handshakeLatencies(b *testing.B, target string, ids [][]byte, base uint32) []time.Duration {
	to, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 65536)
	var out []time.Duration
	for i, id := range ids {
		var o wire.Options
		o.SetVersion(1)
		o.SetMinVersion(1)
		o.SetSwarmID(id)
		o.SetIntegrity(wire.IntegrityMerkle)
		o.SetHash(wire.SHA1)
		o.SetAddressing(wire.ChunkRange32)
		o.SetChunkSize(1024)
		ctx := wire.DefaultContext()
		dg, err := wire.AppendDatagram(nil, 0, &ctx, &wire.Handshake{Source: wire.ChannelID(base + uint32(i)), Options: o})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := conn.WriteToUDP(dg, to); err != nil {
			b.Fatal(err)
		}
		if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			b.Fatal(err)
		}
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				b.Fatalf("no reply to the HANDSHAKE for swarm %x: %v", id, err)
			}
			// The reply is addressed to our channel; anything else is left from earlier.
			if n >= 4 && wire.ChannelID(uint32(buf[0])<<24|uint32(buf[1])<<16|uint32(buf[2])<<8|uint32(buf[3])) == wire.ChannelID(base+uint32(i)) {
				break
			}
		}
		out = append(out, time.Since(start))
	}
	return out
}

// BenchmarkDaemonSeed16GiB: one daemon seeds a generated 16 GiB file (PPSPPD_BENCH_GIB to
// change) in 1 KiB chunks, sparse but for 4 KiB of random bytes per MiB, while a second
// daemon downloads from it for PPSPPD_BENCH_SECONDS (20): the seeder's RSS after hashing and
// its peak while serving, and what the leecher got. The files are deleted at the end.
func BenchmarkDaemonSeed16GiB(b *testing.B) {
	gib := benchInt("PPSPPD_BENCH_GIB", 16)
	secs := benchInt("PPSPPD_BENCH_SECONDS", 20)
	for range b.N {
		root := b.TempDir()
		seedState, leechState := filepath.Join(root, "seeder"), filepath.Join(root, "leecher")
		content := filepath.Join(seedState, "content")
		if err := os.MkdirAll(content, 0o755); err != nil {
			b.Fatal(err)
		}
		file := filepath.Join(content, "big.bin")
		writeSparse(b, file, int64(gib)<<30)
		seeder := startDaemon(b, seedState, "")
		conn := dialCMD(b, seeder.cmdAddr)
		start := time.Now()
		conn.roundTrip(b, "SEED "+file)
		hashTime := time.Since(start)
		ids := waitSeedingIDs(b, conn, 1)
		pid := seeder.cmd.Process.Pid
		hwmHashing := procKiB(b, pid, "VmHWM:")
		rssSeeded := rssKiB(b, pid)
		// Peak RSS from here on: writing 5 to clear_refs resets VmHWM (proc(5)).
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
			b.Logf("cannot reset the peak RSS: %v", err)
		}

		leecher := startDaemon(b, leechState, "")
		id := hex.EncodeToString(ids[0])
		leecher.ctlB(b, "add", id, "--peer", seeder.udp)
		maxRSS := 0
		end := time.Now().Add(time.Duration(secs) * time.Second)
		for time.Now().Before(end) {
			maxRSS = max(maxRSS, rssKiB(b, pid))
			time.Sleep(200 * time.Millisecond)
		}
		lconn := dialCMD(b, leecher.cmdAddr)
		var got int64
		for _, l := range lconn.roundTrip(b, "LIST "+id) {
			if f := strings.Fields(l); len(f) > 3 {
				got, _ = strconv.ParseInt(strings.Split(f[3], "/")[0], 10, 64)
			}
		}
		hwmServing := procKiB(b, pid, "VmHWM:")
		lconn.close()
		leecher.stop(b)
		conn.close()
		seeder.stop(b)
		if err := os.RemoveAll(root); err != nil {
			b.Logf("cleanup: %v", err)
		}

		b.ReportMetric(float64(gib), "GiB-content")
		b.ReportMetric(hashTime.Seconds(), "s-hash")
		b.ReportMetric(float64(hwmHashing)/1024, "MiB-peak-rss-hashing")
		b.ReportMetric(float64(rssSeeded)/1024, "MiB-rss-seeded")
		b.ReportMetric(float64(max(maxRSS, hwmServing))/1024, "MiB-peak-rss-serving")
		b.ReportMetric(float64(got)/(1<<20), "MiB-leeched")
		b.ReportMetric(float64(got)/(1<<20)/float64(secs), "MiB/s-leeched")
	}
}

// writeSparse makes a file of size bytes: 4 KiB of seeded random bytes at the start of
// every MiB, holes elsewhere (read as zeros), so it costs little disk and distinct chunks
// are spread all over.
func writeSparse(b *testing.B, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(16, 16))
	block := make([]byte, 4096)
	for off := int64(0); off < size; off += 1 << 20 {
		for i := range block {
			block[i] = byte(r.Uint32())
		}
		if _, err := f.WriteAt(block, off); err != nil {
			b.Fatal(err)
		}
	}
}

// procKiB reads a kB field of /proc/PID/status.
func procKiB(b *testing.B, pid int, field string) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, field); ok {
			v, _ := strconv.Atoi(strings.Fields(rest)[0])
			return v
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// BenchmarkDaemonDownloads1k: PPSPPD_BENCH_DOWNLOADS (1,000) distinct 64 KiB swarms seeded
// by one daemon and downloaded by a second over loopback; then the second restarts: its RSS
// once every download completed (trees in memory, layer files written) and after the
// restart, when each completed download is a record only (issue 15: a completed download
// is zero-state like a seed).
func BenchmarkDaemonDownloads1k(b *testing.B) {
	n := benchInt("PPSPPD_BENCH_DOWNLOADS", 1000)
	for range b.N {
		root := b.TempDir()
		seedState := filepath.Join(root, "seeder")
		paths := writeSeedFiles(b, filepath.Join(seedState, "content"), n, "download", 64<<10/16) // 64 KiB each
		seeder := startDaemon(b, seedState, "")
		sc := dialCMD(b, seeder.cmdAddr)
		sc.seedAll(b, paths)
		ids := waitSeedingIDs(b, sc, n)

		leechState := filepath.Join(root, "leecher")
		leecher := startDaemon(b, leechState, "")
		lc := dialCMD(b, leecher.cmdAddr)
		start := time.Now()
		for _, id := range ids {
			lc.roundTrip(b, fmt.Sprintf("ADD tswift://%s/%x", seeder.udp, id))
		}
		waitSeedingIDs(b, lc, n)
		downloadTime := time.Since(start)
		time.Sleep(2 * time.Second) // the layer files are written just after completion
		rssComplete := rssKiB(b, leecher.cmd.Process.Pid)
		lc.close()
		leecher.stop(b)
		sc.close()
		seeder.stop(b)

		start = time.Now()
		again := startDaemon(b, leechState, "")
		readyTime := time.Since(start)
		ac := dialCMD(b, again.cmdAddr)
		waitSeedingIDs(b, ac, n)
		rssRecords := rssKiB(b, again.cmd.Process.Pid)
		ac.close()
		again.stop(b)

		b.ReportMetric(float64(n), "downloads")
		b.ReportMetric(downloadTime.Seconds(), "s-download-all")
		b.ReportMetric(float64(rssComplete)/1024, "MiB-rss-completed")
		b.ReportMetric(readyTime.Seconds(), "s-restart-ready")
		b.ReportMetric(float64(rssRecords)/1024, "MiB-rss-restart-records")
	}
}
