//go:build linux && netlab

package netlab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Helpers that run the real ppsppd binary (seed, get) inside a lab's namespaces.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ppsppdBin builds cmd/ppsppd once per test process (without the race detector: the
// measurements want the binary users run). NETLAB_PPSPPD names a binary to use instead, to
// measure another build (before and after a change) on the same machine.
func ppsppdBin(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("NETLAB_PPSPPD"); p != "" {
		return p
	}
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "netlab-ppsppd"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ppsppd")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/ppsppd/ppsppd/cmd/ppsppd").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("building ppsppd: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// content writes size random bytes (seeded, so repeatable) to path and returns their SHA-256.
func content(t testing.TB, path string, size int64, seed uint64) [32]byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'n', 'l'}))
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		for i := range buf[:n] {
			buf[i] = byte(r.Uint32())
		}
		if _, err := f.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		h.Write(buf[:n])
		left -= n
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func fileSum(path string) ([32]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}

// lockedBuffer collects a process's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// seed runs ppsppd seed FILE in ns on listen until the test ends, and returns the swarm ID
// (hex) once it has hashed the file.
func seed(t testing.TB, ns *NS, file, listen string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := ns.Command(ctx, ppsppdBin(t), "seed", file, "--listen", listen, "--log-level", "warn")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("seeder in %s, stderr:\n%s", ns, stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- strings.TrimSpace(sc.Text())
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case id, ok := <-line:
		if !ok || id == "" {
			t.Fatalf("ppsppd seed printed no swarm ID; stderr:\n%s", stderr.String())
		}
		return id
	case <-time.After(2 * time.Minute):
		t.Fatalf("ppsppd seed did not print its swarm ID; stderr:\n%s", stderr.String())
	}
	return ""
}

// download is one ppsppd get running in a namespace.
type download struct {
	ns      *NS
	out     string
	started time.Time
	cmd     *exec.Cmd
	stderr  *lockedBuffer
	done    chan struct{}
	err     error
	took    time.Duration
}

// startGet starts ppsppd get ID --peer PEER -o OUT in ns (listening on listen, "" for any
// port) and returns at once; wait collects it. It is killed when the test ends.
func startGet(t testing.TB, ns *NS, id string, peer netip.AddrPort, out, listen string, timeout time.Duration) *download {
	t.Helper()
	if listen == "" {
		listen = "0.0.0.0:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &download{ns: ns, out: out, stderr: &lockedBuffer{}, done: make(chan struct{})}
	d.cmd = ns.Command(ctx, ppsppdBin(t), "get", id, "--peer", peer.String(), "-o", out,
		"--listen", listen, "--timeout", timeout.String())
	d.cmd.Stderr = d.stderr
	d.started = time.Now()
	if err := d.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		d.took = time.Since(d.started)
		close(d.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-d.done
	})
	return d
}

// wait waits for the download to end, at most limit, and checks that OUT is byte for byte
// the content whose SHA-256 is want.
func (d *download) wait(t testing.TB, want [32]byte, limit time.Duration) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(limit):
		_ = d.cmd.Process.Kill()
		<-d.done
		t.Fatalf("ppsppd get in %s still running after %v; stderr:\n%s", d.ns, limit, tail(d.stderr.String(), 3000))
	}
	if d.err != nil {
		t.Fatalf("ppsppd get in %s: %v; stderr:\n%s", d.ns, d.err, tail(d.stderr.String(), 3000))
	}
	got, err := fileSum(d.out)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("ppsppd get in %s: %s differs from the seeded content", d.ns, d.out)
	}
}

var chunksFromRe = regexp.MustCompile(`chunks from peer\s+\{"peer": "([^"]+)", "chunks": (\d+)\}`)

// chunksFrom parses get's "chunks from peer" log lines: verified chunks by sending peer.
func (d *download) chunksFrom() map[string]uint64 {
	from := map[string]uint64{}
	for _, m := range chunksFromRe.FindAllStringSubmatch(d.stderr.String(), -1) {
		n, _ := strconv.ParseUint(m[2], 10, 64)
		from[m[1]] += n
	}
	return from
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
