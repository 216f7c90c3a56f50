package swarms

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/ppsppd/ppsppd/internal/node"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeContent writes size seeded-random bytes to a new file in dir.
func writeContent(t *testing.T, dir, name string, size int, seed uint64) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// running is a manager whose Run goes on in the background until stop.
type running struct {
	*Manager
	cancel context.CancelFunc
	done   chan error
}

func startManager(t *testing.T, cfg Config) *running {
	t.Helper()
	if cfg.Node.Listen == "" {
		cfg.Node.Listen = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin = 50 * time.Millisecond
	}
	if cfg.Tick == 0 {
		cfg.Tick = 20 * time.Millisecond
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Manager: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("manager not ready")
	}
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.cancel()
	if err := <-r.done; err != nil {
		panic(err)
	}
	r.done <- nil // stop is idempotent
}

// waitFor polls cond until it holds, failing the test after a generous deadline (a
// bound against hanging forever, not a performance assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func fastNode() node.Config { return node.Config{Listen: "127.0.0.1:0"} }
