//go:build linux && netlab

package netlab

import (
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostsAndRouter is the smallest routed lab: host a (10.0.1.2) — router (10.0.1.1,
// 10.0.2.1) — host b (10.0.2.2), with default routes through the router.
func hostsAndRouter(t *testing.T) (l *Lab, a, r, b *NS) {
	l = New(t)
	a, r, b = l.NS("a"), l.NS("r"), l.NS("b")
	l.Link(a, "eth0", "10.0.1.2/24", r, "to-a", "10.0.1.1/24")
	l.Link(r, "to-b", "10.0.2.1/24", b, "eth0", "10.0.2.2/24")
	a.Route("default", "10.0.1.1")
	b.Route("default", "10.0.2.1")
	r.Forward()
	return l, a, r, b
}

func netnsNames(t *testing.T) string {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestLabRemovesItsNamespaces: a lab's namespaces exist while its test runs, are gone when
// it ends, also when it failed, and what still ran in them is gone too.
func TestLabRemovesItsNamespaces(t *testing.T) {
	New(t) // skips when not root
	var names []string
	var sleeper *exec.Cmd
	t.Run("lab", func(t *testing.T) {
		l := New(t)
		a, b := l.NS("a"), l.NS("b")
		names = []string{a.Name, b.Name}
		listed := netnsNames(t)
		for _, n := range names {
			if !strings.Contains(listed, n) {
				t.Fatalf("namespace %s not listed:\n%s", n, listed)
			}
		}
		sleeper = a.Command(t.Context(), "sleep", "600")
		sleeper.Cancel = nil // left running on purpose: cleanup must end it
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
	})
	listed := netnsNames(t)
	for _, n := range names {
		if strings.Contains(listed, n) {
			t.Errorf("namespace %s still there after its test ended", n)
		}
	}
	if err := sleeper.Wait(); err == nil {
		t.Error("the process left in a lab namespace exited normally; want killed by cleanup")
	}
}

// TestNewSweepsStaleNamespaces: a namespace with the lab prefix whose creating process is
// gone is removed by the next New; one of a live process is left alone.
func TestNewSweepsStaleNamespaces(t *testing.T) {
	New(t) // skips when not root
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := NamePrefix + strconv.Itoa(dead.Process.Pid) + "-99-stale"
	if err := run("ip", "netns", "add", stale); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = removeNS(stale) })
	if processExists(dead.Process.Pid) {
		t.Skip("the dead process's PID was reused already")
	}
	New(t)
	if strings.Contains(netnsNames(t), stale) {
		t.Fatalf("stale namespace %s survived New", stale)
	}
}

// TestRoutedPathAndLoss: the router forwards between the hosts; with 30% loss on the
// router, about half of the round trips (0.7² of them) come back.
func TestRoutedPathAndLoss(t *testing.T) {
	_, a, r, b := hostsAndRouter(t)
	echo := netip.MustParseAddrPort("10.0.2.2:7")
	b.StartEcho(echo)
	p := a.StartProber(echo, 2*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	clean := Delays(p.Stop(), 0, time.Hour)
	if clean.Probes == 0 || clean.Lost > clean.Probes/10 {
		t.Fatalf("lossless path: %d of %d probes lost", clean.Lost, clean.Probes)
	}

	r.Loss(30)
	p = a.StartProber(echo, time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	lossy := Delays(p.Stop(), 0, time.Hour)
	back := float64(lossy.Probes-lossy.Lost) / float64(lossy.Probes)
	t.Logf("30%% loss each way: %d of %d round trips came back (%.2f, expected 0.49)", lossy.Probes-lossy.Lost, lossy.Probes, back)
	// Binomial with n ≥ 1000: 0.49 ± 0.05 is beyond six standard deviations.
	if lossy.Probes < 500 || back < 0.39 || back > 0.59 {
		t.Fatalf("30%% loss each way: %.2f of %d round trips came back, want about 0.49", back, lossy.Probes)
	}
}

// TestBottleneckCountsAndQueues: a tbf on the router limits what reaches b, the counter in
// b sees the traffic, and the prober sees the queue fill while UDP floods the link.
func TestBottleneckCountsAndQueues(t *testing.T) {
	_, a, r, b := hostsAndRouter(t)
	r.Bottleneck("to-b", 10_000_000, 100*time.Millisecond)
	if qd := r.Must("tc", "qdisc", "show", "dev", "to-b"); !strings.Contains(qd, "tbf") {
		t.Fatalf("no tbf on the router: %s", qd)
	}
	b.CountIn("udp", "meta l4proto udp")
	b.CountIn("flood", "udp dport 9000")
	echo := netip.MustParseAddrPort("10.0.2.2:7")
	b.StartEcho(echo)
	sink, err := b.ListenUDP(netip.MustParseAddrPort("10.0.2.2:9000"))
	if err != nil {
		t.Fatal(err)
	}
	_ = sink
	src, err := a.ListenUDP(netip.MustParseAddrPort("0.0.0.0:0"))
	if err != nil {
		t.Fatal(err)
	}
	s := b.StartSampler(100 * time.Millisecond)
	p := a.StartProber(echo, 10*time.Millisecond)
	payload := make([]byte, 1200)
	to := netip.MustParseAddrPort("10.0.2.2:9000")
	sent := 0
	for start := time.Now(); time.Since(start) < 1500*time.Millisecond; {
		// About 40 Mbit/s offered, four times the link.
		for range 40 {
			if _, err := src.WriteToUDPAddrPort(payload, to); err == nil {
				sent += len(payload)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	samples := s.Stop()
	rtts := p.Stop()
	got := samples[len(samples)-1].Bytes["flood"]
	if got == 0 || got >= uint64(sent) {
		t.Fatalf("flood: %d bytes offered, %d counted behind the bottleneck; want some, not all", sent, got)
	}
	rate := Rate(samples, "flood", 500*time.Millisecond, 1500*time.Millisecond)
	d := Delays(rtts, 500*time.Millisecond, 1500*time.Millisecond)
	t.Logf("10 Mbit/s tbf, 100 ms buffer: %.1f Mbit/s through; probes median %v p95 %v, %d/%d lost",
		rate/1e6, d.Median, d.P95, d.Lost, d.Probes)
}

// TestRelayDelaysReordersAndKeepsAddresses: through the relay, two endpoints see each other
// only at public addresses, consistently both ways; every datagram is held at least the
// delay, and with jitter larger than their spacing some overtake others.
func TestRelayDelaysReordersAndKeepsAddresses(t *testing.T) {
	_, a, r, b := hostsAndRouter(t)
	relayIP := netip.MustParseAddr("10.99.0.1")
	r.AddAddr("lo", relayIP.String()+"/32")
	delay := 20 * time.Millisecond
	relay := r.StartRelay(relayIP, RelayConfig{Delay: delay, Jitter: 10 * time.Millisecond})

	bConn, err := b.ListenUDP(netip.MustParseAddrPort("10.0.2.2:6000"))
	if err != nil {
		t.Fatal(err)
	}
	aConn, err := a.ListenUDP(netip.MustParseAddrPort("10.0.1.2:6000"))
	if err != nil {
		t.Fatal(err)
	}
	bPublic, err := relay.Expose(netip.MustParseAddrPort("10.0.2.2:6000"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	sentAt := time.Now()
	for i := range n {
		if _, err := aConn.WriteToUDPAddrPort([]byte{byte(i)}, bPublic); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 64)
	var aPublic netip.AddrPort
	outOfOrder := 0
	last := -1
	for i := range n {
		_ = bConn.SetReadDeadline(time.Now().Add(5 * time.Second))
		k, from, err := bConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("datagram %d of %d: %v", i, n, err)
		}
		if i == 0 && time.Since(sentAt) < delay {
			t.Fatalf("first datagram after %v, want at least the relay's delay %v", time.Since(sentAt), delay)
		}
		if i == 0 {
			aPublic = from
		} else if from != aPublic {
			t.Fatalf("a seen at %v and %v", aPublic, from)
		}
		if int(buf[0]) < last {
			outOfOrder++
		}
		last = max(last, int(buf[0]))
		_ = k
	}
	if aPublic.Addr() != relayIP {
		t.Fatalf("b sees a at %v, want the relay's %v", aPublic, relayIP)
	}
	// The answer goes to a's public address and arrives from b's.
	if _, err := bConn.WriteToUDPAddrPort([]byte("back"), aPublic); err != nil {
		t.Fatal(err)
	}
	_ = aConn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, from, err := aConn.ReadFromUDPAddrPort(buf); err != nil || from != bPublic {
		t.Fatalf("answer from %v (%v), want from b's public %v", from, err, bPublic)
	}
	st := relay.Stats()
	t.Logf("relay: %+v; b saw %d of %d out of order", st, outOfOrder, n)
	if outOfOrder == 0 || st.Reordered == 0 {
		t.Fatalf("200 datagrams sent at once through 10 ms of jitter arrived in order (relay %+v)", st)
	}
}
