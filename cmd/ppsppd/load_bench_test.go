package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ppsppd/ppsppd/internal/testpeer"
)

// Load benchmark shape (issue 13): one daemon, 2,000 swarms, 300 simulated peers.
const (
	loadSwarms   = 2000
	loadFileSize = 64 << 10
	loadPeers    = 300
	loadDuration = 20 * time.Second
)

// BenchmarkDaemonLoad: one daemon seeding 2,000 swarms of 64 KiB, 300 simulated leechers
// (one loadpeers process, spread over 16 loopback addresses) downloading from them, 16
// swarms each in turn, for 20 s, then close their channels and read on for 2 s. It reports the daemon's peak RSS, its CPU use over the
// window, datagrams per second each way, and accounts for every datagram the peers sent:
// the daemon's datagrams_total{direction="rx"} plus what the kernel dropped on the daemon's
// socket (/proc/net/udp) must equal what the peers' writes handed the kernel; the rest is
// reported as unaccounted (it should be 0). The same the other way: the daemon's tx against
// what the peers read plus the kernel's drops on their sockets. Run with
//
//	go test -run '^$' -bench DaemonLoad -benchtime 1x ./cmd/ppsppd
func BenchmarkDaemonLoad(b *testing.B) {
	peersBin := filepath.Join(b.TempDir(), "loadpeers")
	build := exec.Command("go", "build", "-o", peersBin, "github.com/ppsppd/ppsppd/internal/testpeer/cmd/loadpeers")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building loadpeers: %v\n%s", err, out)
	}
	for range b.N {
		runDaemonLoad(b, peersBin)
	}
}

func runDaemonLoad(b *testing.B, peersBin string) {
	root := b.TempDir()
	state := filepath.Join(root, "state")
	content := filepath.Join(state, "content")
	if err := os.MkdirAll(content, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range loadSwarms {
		writeLoadFile(b, filepath.Join(content, fmt.Sprintf("f%04d.bin", i)), uint64(i))
	}
	d := startDaemonStats(b, state, "", true)
	conn := dialCMD(b, d.cmdAddr)
	var ids bytes.Buffer
	for i := range loadSwarms {
		lines := conn.roundTrip(b, "SEED "+filepath.Join(content, fmt.Sprintf("f%04d.bin", i)))
		if len(lines) != 1 || len(strings.Fields(lines[0])) < 2 {
			b.Fatalf("SEED answered %q", lines)
		}
		id := strings.Fields(lines[0])[1]
		if _, err := hex.DecodeString(id); err != nil {
			b.Fatalf("SEED answered %q", lines)
		}
		fmt.Fprintln(&ids, id)
	}
	waitSeeding(b, conn, loadSwarms)
	conn.close()
	idFile := filepath.Join(root, "swarms.txt")
	if err := os.WriteFile(idFile, ids.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	udpAddr := netip.MustParseAddrPort(d.udp)
	pid := d.cmd.Process.Pid

	before := readLoadCounters(b, d, udpAddr)
	rssIdle := rssKiB(b, pid)
	cpuBefore, wallBefore := cpuTicks(b, pid), time.Now()
	peers := exec.Command(peersBin, "-target", d.udp, "-swarms", idFile, "-peers", strconv.Itoa(loadPeers),
		"-duration", loadDuration.String())
	var peersOut, peersErr bytes.Buffer
	peers.Stdout, peers.Stderr = &peersOut, &peersErr
	if err := peers.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- peers.Wait() }()
	peakRSS := rssIdle
	tick := time.NewTicker(500 * time.Millisecond)
	// CPU is measured over the downloading; the peers then linger, counting arrivals.
	window := time.NewTimer(loadDuration)
	var cpuAfter uint64
	var wall time.Duration
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatalf("loadpeers: %v\n%s", err, peersErr.String())
			}
			break wait
		case <-tick.C:
			peakRSS = max(peakRSS, rssKiB(b, pid))
		case <-window.C:
			cpuAfter, wall = cpuTicks(b, pid), time.Since(wallBefore)
		}
	}
	tick.Stop()
	if wall == 0 {
		b.Fatal("loadpeers ended before its -duration")
	}
	var rep peersReport
	if err := json.Unmarshal(peersOut.Bytes(), &rep); err != nil {
		b.Fatalf("loadpeers output: %v\n%s", err, peersOut.String())
	}
	// The peers have stopped; let the daemon read what is still queued on its socket.
	after := drainedLoadCounters(b, d, udpAddr)
	rssEnd := rssKiB(b, pid)
	d.stop(b)

	rx := after.rx - before.rx
	tx := after.tx - before.tx
	kernelDrops := after.sockDrops - before.sockDrops
	counted := after.drops - before.drops
	unaccounted := float64(rep.Sent) - rx - float64(kernelDrops)
	// The other way: the peers closed their channels and read on until nothing came.
	unaccountedTx := tx - float64(rep.Received) - float64(rep.KernelDrops)
	cpu := float64(cpuAfter-cpuBefore) / clockTicks / wall.Seconds() * 100
	secs := rep.Seconds

	b.Logf("peers: %d sockets, %.1f s: sent %d datagrams (%d send errors), received %d; kernel drops on their sockets %d, %d bytes unread at the end",
		rep.Peers, secs, rep.Sent, rep.SendErrs, rep.Received, rep.KernelDrops, rep.UnreadBytes)
	b.Logf("peers: %d downloads completed, %d abandoned (%d closed by the daemon), %d chunks verified, %d failed, %d duplicates, %d without peak hashes, %d re-request rounds, %d stale datagrams, %d undecodable",
		rep.Counts.Completed, rep.Counts.Abandoned, rep.Counts.ClosedByPeer, rep.Counts.ChunksVerified, rep.Counts.ChunksFailed,
		rep.Counts.Duplicates, rep.Counts.Unverifiable, rep.Counts.Rerequests, rep.Counts.Stale, rep.Counts.Undecodable)
	b.Logf("daemon: rx %.0f tx %.0f datagrams; drops counted by reason %v (total %.0f); kernel drops on its socket %d; UDP InErrors %+d RcvbufErrors %+d machine-wide",
		rx, tx, after.byReason.minus(before.byReason), counted, kernelDrops,
		int64(after.snmpInErrors-before.snmpInErrors), int64(after.snmpRcvbuf-before.snmpRcvbuf))
	b.Logf("accounting: peers sent %d = daemon rx %.0f + kernel drops %d + unaccounted %.0f",
		rep.Sent, rx, kernelDrops, unaccounted)
	b.Logf("accounting: daemon tx %.0f = peers received %d (%d after they closed) + kernel drops %d + unaccounted %.0f (%d bytes left unread)",
		tx, rep.Received, rep.Counts.AfterStop, rep.KernelDrops, unaccountedTx, rep.UnreadBytes)
	b.Logf("daemon RSS: %.1f MiB idle with %d swarms, %.1f MiB peak, %.1f MiB at the end; CPU %.1f%% of one core over %.1f s",
		float64(rssIdle)/1024, loadSwarms, float64(peakRSS)/1024, float64(rssEnd)/1024, cpu, wall.Seconds())
	if len(rep.RunErrors) > 0 {
		b.Errorf("loadpeers errors: %v", rep.RunErrors)
	}
	if rep.Counts.ChunksFailed > 0 {
		b.Errorf("%d chunks from the daemon failed verification", rep.Counts.ChunksFailed)
	}

	b.ReportMetric(float64(peakRSS)/1024, "MiB-RSS-peak")
	b.ReportMetric(float64(rssIdle)/1024, "MiB-RSS-idle")
	b.ReportMetric(cpu, "CPU-%")
	b.ReportMetric(rx/secs, "dgrams-rx/s")
	b.ReportMetric(tx/secs, "dgrams-tx/s")
	b.ReportMetric(float64(rep.Counts.ChunksVerified)/secs, "chunks-verified/s")
	b.ReportMetric(float64(rep.Counts.Completed), "downloads")
	b.ReportMetric(counted, "drops-counted")
	b.ReportMetric(float64(kernelDrops), "drops-kernel")
	b.ReportMetric(unaccounted, "dgrams-unaccounted")
	b.ReportMetric(unaccountedTx, "dgrams-tx-unaccounted")
}

// writeLoadFile writes a file of loadFileSize bytes from a generator seeded with seed:
// distinct content, so 2,000 distinct swarms.
func writeLoadFile(b *testing.B, path string, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x10ad))
	data := make([]byte, loadFileSize)
	for i := 0; i < len(data); i += 8 {
		v := r.Uint64()
		for k := range 8 {
			data[i+k] = byte(v >> (8 * k))
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
}

// peersReport is the part of loadpeers' JSON report the benchmark reads.
type peersReport struct {
	Peers       int                     `json:"peers"`
	Seconds     float64                 `json:"seconds"`
	Sent        int                     `json:"sent"`
	SendErrs    int                     `json:"send_errors"`
	Received    int                     `json:"received"`
	KernelDrops uint64                  `json:"kernel_drops"`
	UnreadBytes uint64                  `json:"unread_bytes"`
	Counts      testpeer.DownloadCounts `json:"counts"`
	RunErrors   []string                `json:"run_errors"`
}

// loadCounters are the daemon's datagram counters (its metrics) and the kernel's.
type loadCounters struct {
	rx, tx, drops float64
	byReason      reasons
	// The daemon's socket in /proc/net/udp: datagrams dropped, bytes not read yet.
	sockDrops, sockQueue uint64
	// Machine-wide UDP counters of /proc/net/snmp; other processes add to them.
	snmpInErrors, snmpRcvbuf uint64
}

type reasons map[string]float64

func (r reasons) minus(o reasons) reasons {
	out := reasons{}
	for k, v := range r {
		if d := v - o[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func readLoadCounters(b *testing.B, d *daemon, udp netip.AddrPort) loadCounters {
	var c loadCounters
	resp, err := http.Get("http://" + d.stats + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		b.Fatalf("metrics: %v", err)
	}
	for _, m := range families["ppsppd_datagrams_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			switch {
			case l.GetName() != "direction":
			case l.GetValue() == "rx":
				c.rx = m.GetCounter().GetValue()
			case l.GetValue() == "tx":
				c.tx = m.GetCounter().GetValue()
			}
		}
	}
	c.byReason = reasons{}
	for _, m := range families["ppsppd_datagrams_dropped_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" {
				c.byReason[l.GetValue()] = m.GetCounter().GetValue()
				c.drops += m.GetCounter().GetValue()
			}
		}
	}
	k, err := testpeer.ReadKernelUDP(map[netip.AddrPort]bool{udp: true})
	if err != nil || k.Sockets != 1 {
		b.Fatalf("daemon socket %v in /proc/net/udp: %+v, %v", udp, k, err)
	}
	c.sockDrops, c.sockQueue = k.Drops, k.RxQueue
	c.snmpInErrors, c.snmpRcvbuf = udpSNMP(b)
	return c
}

// drainedLoadCounters reads the counters once the daemon has read everything queued on its
// socket and its rx counter stands still.
func drainedLoadCounters(b *testing.B, d *daemon, udp netip.AddrPort) loadCounters {
	prev := readLoadCounters(b, d, udp)
	for range 50 {
		time.Sleep(100 * time.Millisecond)
		c := readLoadCounters(b, d, udp)
		if c.sockQueue == 0 && c.rx == prev.rx {
			return c
		}
		prev = c
	}
	b.Fatalf("the daemon did not drain its socket: %d bytes queued", prev.sockQueue)
	return prev
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux port.
const clockTicks = 100

// cpuTicks is the process's user plus system time so far (/proc/PID/stat fields 14, 15).
func cpuTicks(b *testing.B, pid int) uint64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces; count after it.
	rest := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(rest) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	ut, err1 := strconv.ParseUint(rest[11], 10, 64)
	st, err2 := strconv.ParseUint(rest[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	return ut + st
}

// udpSNMP returns the machine's UDP InErrors and RcvbufErrors (/proc/net/snmp).
func udpSNMP(b *testing.B) (inErrors, rcvbuf uint64) {
	raw, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, v := range f {
			n, _ := strconv.ParseUint(v, 10, 64)
			switch {
			case i >= len(names):
			case names[i] == "InErrors":
				inErrors = n
			case names[i] == "RcvbufErrors":
				rcvbuf = n
			}
		}
		return inErrors, rcvbuf
	}
	b.Fatal("no Udp: lines in /proc/net/snmp")
	return 0, 0
}
