package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ppsppd/ppsppd/internal/discovery/dht"
)

// TestDaemonsFindEachOtherOnTheDHT: three daemons with the DHT on, on loopback, each
// bootstrapping only from the other two. One seeds a file; another is given only the bare
// swarm ID (no peer, no tracker), finds the seeder on the DHT and completes the download
// byte for byte. A `get` with only --dht-bootstrap does the same. The leecher's STATS
// gateway counts DHT nodes, lookups and peers found, and its routing table is saved.
func TestDaemonsFindEachOtherOnTheDHT(t *testing.T) {
	root := t.TempDir()
	ports := []int{freeUDPPort(t), freeUDPPort(t), freeUDPPort(t)}
	var daemons []*daemon
	for i := range ports {
		var others []string
		for j, p := range ports {
			if j != i {
				others = append(others, fmt.Sprintf("%q", fmt.Sprintf("127.0.0.1:%d", p)))
			}
		}
		extra := fmt.Sprintf("[dht]\nenabled = true\nlisten = \"127.0.0.1:%d\"\nbootstrap = [%s]\n",
			ports[i], strings.Join(others, ", "))
		daemons = append(daemons, startDaemonStats(t, filepath.Join(root, fmt.Sprint("d", i)), extra, true))
	}
	seeder, leecher := daemons[0], daemons[2]

	file := filepath.Join(root, "d0", "content", "movie.bin")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	data := writeContent(t, file, 300<<10+5, 21)
	out, err := seeder.ctl(t, "add", file)
	if err != nil || !strings.Contains(out, "seeding") {
		t.Fatalf("add FILE: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]

	if out, err := leecher.ctl(t, "add", id); err != nil {
		t.Fatalf("add bare ID: %v\n%s", err, out)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, err := leecher.ctl(t, "ls")
		if err == nil && strings.Contains(out, id) && strings.Contains(out, "seeding") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("download by bare swarm ID did not complete:\n%s\nleecher log:\n%s", out, leecher.stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	got, err := os.ReadFile(filepath.Join(root, "d2", "content", id))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded copy differs (%v)", err)
	}
	if log := leecher.stderr.String(); !strings.Contains(log, "DHT found peers") || !strings.Contains(log, seeder.udp) {
		t.Fatalf("the leecher's log does not show the seeder found on the DHT:\n%s", log)
	}

	m := scrape(t, leecher.stats)
	for _, name := range []string{"ppsppd_dht_nodes", "ppsppd_dht_lookups_total", "ppsppd_dht_peers_found_total"} {
		if m[name] < 1 {
			t.Errorf("%s = %v, want at least 1", name, m[name])
		}
	}
	if sm := scrape(t, seeder.stats); sm["ppsppd_dht_announces_total"] < 1 {
		t.Errorf("seeder ppsppd_dht_announces_total = %v", sm["ppsppd_dht_announces_total"])
	}

	// get with no peer and no link, only a DHT node to join through.
	copyPath := filepath.Join(root, "copy.bin")
	cmd := exec.Command(binPath, "get", id, "-o", copyPath, "--dht-bootstrap", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--dht-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("get --dht-bootstrap: %v\n%s", err, out)
	}
	if got, err := os.ReadFile(copyPath); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get's copy differs (%v)", err)
	}
	// The same with the DHT turned on by a configuration file instead of the flag.
	cfgPath := filepath.Join(root, "get.toml")
	cfgText := fmt.Sprintf("[dht]\nenabled = true\nbootstrap = [\"127.0.0.1:%d\"]\n", ports[1])
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	copy2 := filepath.Join(root, "copy2.bin")
	cmd = exec.Command(binPath, "get", id, "-o", copy2, "--config", cfgPath, "--dht-listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("get --config (DHT on): %v\n%s", err, out)
	}
	if got, err := os.ReadFile(copy2); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("get --config's copy differs (%v)", err)
	}

	leecher.stop(t)
	if b, err := os.ReadFile(filepath.Join(root, "d2", dht.NodesFileName)); err != nil || !strings.Contains(string(b), "127.0.0.1:") {
		t.Fatalf("routing table not saved in the state directory: %v\n%s", err, b)
	}
	daemons[1].stop(t)
	seeder.stop(t)
}

// TestGetWithoutPeerOrDHTFails: with neither a peer nor a DHT node, get says what to give;
// a configuration file with the DHT off (the default) gives none either.
func TestGetWithoutPeerOrDHTFails(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command(binPath, "get", strings.Repeat("ab", 20), "-o", filepath.Join(dir, "x")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--dht-bootstrap") {
		t.Fatalf("get with no peer: %v\n%s", err, out)
	}
	cfgPath := filepath.Join(dir, "off.toml")
	if err := os.WriteFile(cfgPath, []byte("[dht]\nbootstrap = [\"127.0.0.1:9\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(binPath, "get", strings.Repeat("ab", 20), "-o", filepath.Join(dir, "y"), "--config", cfgPath).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "[dht] enabled") {
		t.Fatalf("get --config with the DHT off: %v\n%s", err, out)
	}
}

// scrape reads a STATS gateway's /metrics: unlabelled values by name.
func scrape(t testing.TB, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 0 {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
