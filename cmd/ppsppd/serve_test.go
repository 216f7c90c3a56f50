package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func freeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServeSeedsAndExportsMetrics runs `ppsppd serve` with a config that seeds a directory,
// downloads one of its files with `ppsppd get`, and reads the STATS gateway with a real HTTP
// client and the Prometheus text parser.
func TestServeSeedsAndExportsMetrics(t *testing.T) {
	dir := t.TempDir()
	content := filepath.Join(dir, "content")
	if err := os.Mkdir(content, 0o755); err != nil {
		t.Fatal(err)
	}
	data := writeContent(t, filepath.Join(content, "a.bin"), 2<<20+17, 5)
	writeContent(t, filepath.Join(content, "b.bin"), 3000, 6)
	if err := os.WriteFile(filepath.Join(content, "empty.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	udp, statsPort := freeUDPPort(t), freeTCPPort(t)
	cfg := filepath.Join(dir, "ppsppd.toml")
	body := fmt.Sprintf("[node]\nlisten = \"127.0.0.1:%d\"\nstate_dir = %q\n[seed]\npaths = [%q]\n[stats]\nlisten = \"127.0.0.1:%d\"\n"+
		"[cmd]\nlisten = \"127.0.0.1:%d\"\n[http]\nlisten = \"\"\n",
		udp, filepath.Join(dir, "state"), content, statsPort, freeTCPPort(t))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := exec.CommandContext(ctx, binPath, "serve", "--config", cfg)
	serve.Cancel = func() error { return serve.Process.Signal(syscall.SIGTERM) }
	stderr, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	// The log names each swarm it seeds; take a.bin's URL from it.
	var url string
	var logged strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		logged.WriteString(line + "\n")
		if strings.Contains(line, "a.bin") && strings.Contains(line, "tswift://") {
			url = line[strings.Index(line, "tswift://"):]
			url = url[:strings.IndexAny(url, "\"} ")]
		}
		if strings.Contains(line, "stats gateway") {
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if url == "" || !strings.Contains(logged.String(), "empty.bin") {
		t.Fatalf("serve log:\n%s", logged.String())
	}
	out, err := exec.Command(binPath, "get", url, "-o", filepath.Join(dir, "copy.bin")).CombinedOutput()
	if err != nil {
		t.Fatalf("get: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "copy.bin")); string(got) != string(data) {
		t.Fatal("copy differs")
	}

	base := fmt.Sprintf("http://127.0.0.1:%d", statsPort)
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		f, ok := families[name]
		if !ok {
			t.Fatalf("no metric %s", name)
		}
	next:
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
		t.Fatalf("no %s with %v", name, labels)
		return 0
	}
	if n := value("ppsppd_swarms", nil); n != 2 {
		t.Fatalf("ppsppd_swarms = %v, want 2 (the empty file cannot be a swarm)", n)
	}
	if served := value("ppsppd_chunks_served_total", nil); served < 2049 {
		t.Fatalf("chunks served %v", served)
	}
	if tx := value("ppsppd_datagrams_total", map[string]string{"direction": "tx"}); tx < 2049 {
		t.Fatalf("datagrams sent %v", tx)
	}
	if v := value("ppsppd_build_info", nil); v != 1 {
		t.Fatal("no build info")
	}
	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(html), "seeding") {
		t.Fatalf("status page %d:\n%s", page.StatusCode, html)
	}

	_ = serve.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func TestServeConfigErrorExit2(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.toml")
	_ = os.WriteFile(cfg, []byte("[seed]\nchunk_size = -1\n"), 0o644)
	out, err := exec.Command(binPath, "serve", "--config", cfg).CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitConfig || !strings.Contains(string(out), "seed.chunk_size") {
		t.Fatalf("exit %v, output %s", err, out)
	}
}
