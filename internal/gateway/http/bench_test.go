package httpgw

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// fileManager serves one complete swarm from a plain file, as the manager does once a
// swarm is complete (reads are plain file reads).
type fileManager struct {
	id   swarms.ID
	path string
}

func (m *fileManager) Status(id swarms.ID) (swarms.Status, error) {
	if id != m.id {
		return swarms.Status{}, swarms.ErrUnknown
	}
	return swarms.Status{ID: id, State: swarms.StateSeeding, Path: m.path}, nil
}

func (m *fileManager) Add(context.Context, swarms.AddSpec) (swarms.Status, error) {
	return swarms.Status{}, swarms.ErrExists
}

func (m *fileManager) OpenReader(_ context.Context, id swarms.ID) (*fileReader, error) {
	if id != m.id {
		return nil, swarms.ErrUnknown
	}
	f, err := os.Open(m.path)
	if err != nil {
		return nil, err
	}
	return &fileReader{f}, nil
}

type fileReader struct{ *os.File }

func (r *fileReader) Size() (int64, error) {
	fi, err := r.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// BenchmarkServeComplete compares a GET of a complete swarm through the gateway with
// reading the same file directly and with net/http's own file server, in the same run.
func BenchmarkServeComplete(b *testing.B) {
	const size = 64 << 20
	path := filepath.Join(b.TempDir(), "content")
	if err := os.WriteFile(path, randomContent(size, 70), 0o600); err != nil {
		b.Fatal(err)
	}
	id := testID(70)

	b.Run("direct-file", func(b *testing.B) {
		b.SetBytes(size)
		buf := make([]byte, 32<<10)
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			// A plain reader, so io.Copy does not take a sendfile or splice shortcut.
			n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
			f.Close()
			if err != nil || n != size {
				b.Fatalf("read %d bytes: %v", n, err)
			}
		}
	})

	serve := func(b *testing.B, h http.Handler, url string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		buf := make([]byte, 32<<10)
		b.SetBytes(size)
		b.ResetTimer()
		for b.Loop() {
			resp, err := client.Get(fmt.Sprintf("http://%s%s", ln.Addr(), url))
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, resp.Body, buf)
			resp.Body.Close()
			if err != nil || n != size || resp.StatusCode != http.StatusOK {
				b.Fatalf("GET: status %d, %d bytes: %v", resp.StatusCode, n, err)
			}
		}
	}

	b.Run("gateway", func(b *testing.B) {
		s := New(&fileManager{id: id, path: path}, Options{})
		serve(b, s, "/"+id.String()+"?mt=video/mp4")
	})
	b.Run("net-http-servefile", func(b *testing.B) {
		serve(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) }), "/")
	})
}
