// Command loadpeers runs many simulated leechers (testpeer.Downloader) in one process
// against one seeder on loopback, for a fixed time, and prints what they did as one JSON
// object: datagrams sent and received, send errors, chunks verified and failed, downloads
// completed and abandoned, and the kernel's receive-buffer drops on its own sockets (from
// /proc/net/udp), so that a load test can account for every datagram. It is a test tool:
//
//	loadpeers -target 127.0.0.1:6778 -swarms ids.txt -peers 300 -duration 20s
//
// ids.txt holds one swarm ID (hex root hash) a line. Peer i binds 127.0.0.(2 + i mod -ips)
// so that no seeder swarm sees more than a few channels from one IP address (the engine
// refuses more than 16), and downloads -per-peer swarms of the list, starting at a
// different one for each peer, round and round.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ppsppd/ppsppd/internal/testpeer"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadpeers:", err)
		os.Exit(1)
	}
}

// Report is what loadpeers prints. The load benchmark decodes it.
type Report struct {
	Peers    int     `json:"peers"`
	Seconds  float64 `json:"seconds"`
	Sent     int     `json:"sent"` // datagrams the kernel took from our sockets
	SentB    int64   `json:"sent_bytes"`
	SendErrs int     `json:"send_errors"` // writes refused: never left
	Received int     `json:"received"`    // datagrams read from our sockets
	RecvB    int64   `json:"received_bytes"`
	// KernelDrops: datagrams for our sockets the kernel dropped (full receive buffer), the
	// drops column of /proc/net/udp summed over our sockets just before they closed.
	KernelDrops uint64 `json:"kernel_drops"`
	// UnreadBytes: bytes still queued on our sockets (rx_queue) when the run ended.
	UnreadBytes uint64                  `json:"unread_bytes"`
	Counts      testpeer.DownloadCounts `json:"counts"`
	RunErrors   []string                `json:"run_errors,omitempty"`
}

func run() error {
	target := flag.String("target", "", "seeder UDP address")
	swarmFile := flag.String("swarms", "", "file of swarm IDs (hex), one a line")
	peers := flag.Int("peers", 300, "simulated leechers")
	ips := flag.Int("ips", 16, "loopback addresses to spread them over (127.0.0.2 on)")
	perPeer := flag.Int("per-peer", 16, "swarms each leecher downloads in turn")
	duration := flag.Duration("duration", 20*time.Second, "how long to download")
	linger := flag.Duration("linger", 2*time.Second, "how long to go on counting arrivals after closing the channels")
	flag.Parse()
	to, err := netip.ParseAddrPort(*target)
	if err != nil {
		return fmt.Errorf("-target: %w", err)
	}
	if !to.Addr().IsLoopback() {
		return errors.New("-target must be a loopback address")
	}
	ids, err := readIDs(*swarmFile)
	if err != nil {
		return err
	}
	if *peers < 1 || *ips < 1 || *ips > 250 || *perPeer < 1 {
		return errors.New("-peers, -ips and -per-peer must be positive, -ips at most 250")
	}

	socks := make([]*testpeer.DownloaderUDP, *peers)
	for i := range socks {
		list := make([][]byte, min(*perPeer, len(ids)))
		for k := range list {
			// Peer i's list starts at i*perPeer: 300 peers × 16 cover 4,800 slots of the
			// swarm list, so every swarm of 2,000 is downloaded by two or three peers.
			list[k] = ids[(i*len(list)+k)%len(ids)]
		}
		d, err := testpeer.NewDownloader(testpeer.DownloaderConfig{Target: to, Swarms: list, Seed: uint64(i)})
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("127.0.0.%d:0", 2+i%*ips)
		if socks[i], err = testpeer.ListenDownloaderUDP(d, addr); err != nil {
			return err
		}
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(socks))
	for i, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Run(ctx)
		}()
	}
	time.Sleep(*duration)
	// Stop: every peer closes its channel and goes on reading. After -linger nothing is in
	// flight any more; the kernel's counters are read then, before the sockets close
	// (closing one forgets them).
	stop()
	elapsed := time.Since(start)
	time.Sleep(*linger)
	ports := make(map[netip.AddrPort]bool, len(socks))
	for _, s := range socks {
		ports[s.Addr()] = true
	}
	k, kerr := testpeer.ReadKernelUDP(ports)
	for _, s := range socks {
		_ = s.Close()
	}
	wg.Wait()

	rep := Report{Peers: len(socks), Seconds: elapsed.Seconds()}
	rep.KernelDrops, rep.UnreadBytes = k.Drops, k.RxQueue
	if kerr != nil {
		rep.RunErrors = append(rep.RunErrors, kerr.Error())
	}
	for i, s := range socks {
		c, st := s.Stats()
		rep.Sent += st.Sent
		rep.SentB += st.SentBytes
		rep.SendErrs += st.SendErrors
		rep.Received += st.Received
		rep.RecvB += st.RecvBytes
		rep.Counts = add(rep.Counts, c)
		if errs[i] != nil {
			rep.RunErrors = append(rep.RunErrors, errs[i].Error())
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func readIDs(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("-swarms: %w", err)
	}
	defer f.Close()
	var ids [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		id, err := hex.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("-swarms: line %d: %w", len(ids)+1, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("-swarms: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("-swarms: no swarm IDs")
	}
	return ids, nil
}

// add sums two DownloadCounts field by field.
func add(a, b testpeer.DownloadCounts) testpeer.DownloadCounts {
	a.Datagrams += b.Datagrams
	a.Foreign += b.Foreign
	a.Stale += b.Stale
	a.Undecodable += b.Undecodable
	a.Handshakes += b.Handshakes
	a.Requests += b.Requests
	a.Rerequests += b.Rerequests
	a.Acks += b.Acks
	a.ChunksVerified += b.ChunksVerified
	a.ChunksFailed += b.ChunksFailed
	a.Duplicates += b.Duplicates
	a.Unverifiable += b.Unverifiable
	a.Completed += b.Completed
	a.Abandoned += b.Abandoned
	a.ClosedByPeer += b.ClosedByPeer
	return a
}
