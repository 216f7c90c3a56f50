package swarms

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// TestReaderSeekWhileAnotherStreams is what a player does with a moov-at-end MP4: one read
// streams from the start while another asks for the last bytes. The seeder's upload is
// capped so the download takes about 16 s. Size returns while less than a quarter is
// downloaded (it has the last chunk, which gives the exact length, fetched first rather
// than whenever bulk mode reaches it), and the read at the end is served while the
// download is incomplete, although the streaming read keeps missing chunks and waiting.
// (The race that starved the read at the end, the streaming read moving the position
// back before the picker acted on the seek, depends on timing; TestPlayQueue* checks
// the rule that prevents it.)
func TestReaderSeekWhileAnotherStreams(t *testing.T) {
	dir := t.TempDir()
	const size = 2<<20 + 321
	src, data := writeContent(t, dir, "movie.mp4", size, 7)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder"), Limits: Limits{Up: 128 << 10}})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	player := startManager(t, Config{StateDir: filepath.Join(dir, "player"), ContentDir: filepath.Join(dir, "content")})
	if _, err := player.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	below := func(when string, limit int64) {
		t.Helper()
		s, err := player.Status(st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.State != StateDownloading || s.Have >= limit {
			t.Fatalf("%s: %v with %d of %d bytes; want fewer than %d", when, s.State, s.Have, size, limit)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := player.OpenReader(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := stream.Size()
	if err != nil || got != size {
		t.Fatalf("Size = %d, %v; want %d", got, err, size)
	}
	below("when Size returned", size/4)

	// The streaming read: from the start, as fast as chunks come.
	var streamed atomic.Int64
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 32<<10)
		var off int64
		for off < size {
			n, err := stream.ReadAt(buf, off)
			if err != nil {
				done <- err
				return
			}
			if !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
				done <- errors.New("streamed bytes differ from the source")
				return
			}
			off += int64(n)
			streamed.Store(off)
		}
		done <- nil
	}()
	waitFor(t, "the streaming read to start", func() bool { return streamed.Load() > 64<<10 })

	end, err := player.OpenReader(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 5000)
	off := int64(size - len(tail))
	n, err := end.ReadAt(tail, off)
	if err != nil || n == 0 || !bytes.Equal(tail[:n], data[off:off+int64(n)]) {
		t.Fatalf("read at the end: %d bytes, %v (or bytes differ)", n, err)
	}
	below("when the read at the end returned", size)
	_ = end.Close()

	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("streaming read: %v", err)
	}
	_ = stream.Close()
}
