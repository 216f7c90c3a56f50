package testpeer

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// exchange runs a Downloader against seeders (Peers in a seeder mode) on virtual time,
// passing datagrams both ways, until the downloader completed want downloads or a virtual
// minute passed.
func exchange(t *testing.T, d *Downloader, seeder *Peer, want int) DownloadCounts {
	t.Helper()
	self := netip.MustParseAddrPort("192.0.2.9:7000")
	now := t0
	queue := d.Start(now)
	for now.Before(t0.Add(time.Minute)) && d.Counts().Completed < want {
		for len(queue) > 0 && d.Counts().Completed < want {
			p := queue[0]
			queue = queue[1:]
			for _, r := range seeder.Handle(now, self, p.Data) {
				queue = append(queue, d.Handle(now, victim, r.Data)...)
			}
		}
		if dl := d.NextDeadline(); !dl.IsZero() {
			now = dl
		} else {
			now = now.Add(time.Second)
		}
		queue = append(queue, d.Tick(now)...)
	}
	return d.Counts()
}

// TestDownloaderVerifiesAndRepeats: the downloader fetches a swarm, verifies every chunk
// against the swarm ID alone, and starts over (a one-swarm list) when done.
func TestDownloaderVerifiesAndRepeats(t *testing.T) {
	data := content(40*1024 + 100) // 41 chunks: more than one peak
	seeder, err := New(Config{Mode: Honest, Content: data})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDownloader(DownloaderConfig{Target: victim, Swarms: [][]byte{seeder.SwarmID()}})
	if err != nil {
		t.Fatal(err)
	}
	c := exchange(t, d, seeder, 3)
	if c.Completed != 3 || c.ChunksVerified != 3*41 || c.ChunksFailed != 0 || c.Abandoned != 0 {
		t.Fatalf("counts %+v", c)
	}
	if c.Acks != c.ChunksVerified {
		t.Fatalf("%d ACKs for %d chunks", c.Acks, c.ChunksVerified)
	}
	// The fourth download's HANDSHAKE is out, unanswered: Stop sends nothing, and the
	// seeder's answer, which comes after, is counted and its channel closed at once (a
	// HANDSHAKE from source channel 0, §8.4).
	hs := d.Tick(d.NextDeadline()) // the retry
	if len(hs) != 1 || len(d.Stop()) != 0 {
		t.Fatal("a HANDSHAKE retry, then Stop sent something")
	}
	answer := seeder.Handle(t0, netip.MustParseAddrPort("192.0.2.9:7000"), hs[0].Data)
	out := d.Handle(t0, victim, answer[0].Data)
	if len(out) != 1 || d.Counts().AfterStop != 1 {
		t.Fatalf("answer after Stop: sent %d, counts %+v", len(out), d.Counts())
	}
	open := len(seeder.conns)
	if len(seeder.Handle(t0, netip.MustParseAddrPort("192.0.2.9:7000"), out[0].Data)) != 0 || len(seeder.conns) != open-1 {
		t.Fatalf("the seeder holds %d channels after the close, %d before", len(seeder.conns), open)
	}
}

// TestDownloaderCountsBadChunks: chunks that fail verification are counted, not stored, and
// asked for again after a stall; the download then completes.
func TestDownloaderCountsBadChunks(t *testing.T) {
	seeder, err := New(Config{Mode: CorruptChunk, Every: 4, Content: content(16 * 1024)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDownloader(DownloaderConfig{Target: victim, Swarms: [][]byte{seeder.SwarmID()}})
	if err != nil {
		t.Fatal(err)
	}
	c := exchange(t, d, seeder, 1)
	if c.Completed != 1 || c.ChunksFailed != 4 || c.ChunksVerified != 16 || c.Rerequests == 0 {
		t.Fatalf("counts %+v", c)
	}
}

// TestDownloaderGivesUp: a seeder that never answers costs HandshakeAttempts HANDSHAKEs,
// then the downloader moves on and counts the swarm abandoned.
func TestDownloaderGivesUp(t *testing.T) {
	seeder, err := New(Config{Mode: Honest, Content: content(2048)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDownloader(DownloaderConfig{Target: victim, Swarms: [][]byte{seeder.SwarmID()}})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	if out := d.Start(now); len(out) != 1 {
		t.Fatalf("start sent %d datagrams", len(out))
	}
	for range 6 {
		now = d.NextDeadline()
		d.Tick(now)
	}
	if c := d.Counts(); c.Abandoned != 1 || c.Handshakes != 7 {
		t.Fatalf("counts %+v", c)
	}
}

// TestReadKernelUDP finds a socket of ours in /proc/net/udp and sees the bytes queued on it.
func TestReadKernelUDP(t *testing.T) {
	if _, err := os.Stat("/proc/net/udp"); err != nil {
		t.Skip("no /proc/net/udp")
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.LocalAddr().(*net.UDPAddr).AddrPort()
	if _, err := c.WriteToUDPAddrPort([]byte("queued"), addr); err != nil {
		t.Fatal(err)
	}
	k, err := ReadKernelUDP(map[netip.AddrPort]bool{addr: true})
	if err != nil || k.Sockets != 1 || k.RxQueue == 0 {
		t.Fatalf("%+v, %v", k, err)
	}
}
