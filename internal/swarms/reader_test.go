package swarms

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// playbackWindows is how many playback windows m's engine holds for swarm id (-1 while
// the swarm is not in the node yet).
func playbackWindows(t *testing.T, m *running, id ID) int {
	t.Helper()
	info, err := m.node.SwarmInfo(context.Background(), engine.SwarmID(id))
	if errors.Is(err, engine.ErrUnknownSwarm) {
		return -1
	}
	if err != nil {
		t.Fatalf("swarm info: %v", err)
	}
	return info.PlaybackWindows
}

// TestReadersKeepTheirWindows: two readers of one slowly downloading swarm, far apart in
// the file, each get their first bytes while most of the file is still missing, and once
// both close the engine holds no window. The download is under way (every request slot
// at the seeder taken by bulk picks) when the readers come, one after the other: with one
// window per swarm, the second would take it from the first, whose chunks would then wait
// for bulk to reach them.
func TestReadersKeepTheirWindows(t *testing.T) {
	const size = 4 << 20 // 4096 chunks of 1 KiB
	dir := t.TempDir()
	src, data := writeContent(t, dir, "movie.bin", size, 11)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
	// 128 KB/s: the whole file takes over 30 s, a window's first chunks a fraction of one.
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src, Limits: Limits{Up: 128_000}})
	if err != nil {
		t.Fatal(err)
	}
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}, Size: size}); err != nil {
		t.Fatal(err)
	}
	progress := func() engine.SwarmInfo {
		info, err := leecher.node.SwarmInfo(context.Background(), engine.SwarmID(st.ID))
		if err != nil && !errors.Is(err, engine.ErrUnknownSwarm) {
			t.Errorf("swarm info: %v", err)
		}
		return info
	}
	waitFor(t, "the bulk download to start", func() bool { return progress().Have >= 32 })
	// Bulk runs through the file from a random chunk on; the readers go 1024 and 2560
	// chunks past it, where bulk would take seconds to arrive.
	start := bulkStart(t, leecher, st.ID)
	offsets := []int64{int64((start+1024)%4096)*1024 + 17, int64((start+2560)%4096)*1024 + 5}
	type result struct {
		n         int
		err       error
		have, tot uint64
	}
	results := make([]result, len(offsets))
	readers := make([]*Reader, len(offsets))
	var wg sync.WaitGroup
	for k, off := range offsets {
		if readers[k], err = leecher.OpenReader(context.Background(), st.ID); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		done := make(chan struct{})
		go func() {
			defer wg.Done()
			defer close(done)
			buf := make([]byte, 4096)
			n, err := readers[k].ReadAt(buf, off)
			info := progress() // how far the download is the moment the read returns
			if err == nil && !bytes.Equal(buf[:n], data[off:off+int64(n)]) {
				err = errors.New("bytes differ from the source")
			}
			results[k] = result{n: n, err: err, have: info.Have, tot: info.Total}
		}()
		// The next reader comes once this one's window is set (or its read is done).
		waitFor(t, "the reader's window", func() bool {
			select {
			case <-done:
				return true
			default:
				return progress().PlaybackWindows > k
			}
		})
	}
	wg.Wait()
	for k, r := range results {
		if r.err != nil || r.n == 0 {
			t.Fatalf("reader %d at %d: %d bytes, %v", k, offsets[k], r.n, r.err)
		}
		t.Logf("reader %d at chunk %d got %d bytes with %d of %d chunks verified", k, offsets[k]/1024, r.n, r.have, r.tot)
		if r.have > r.tot/8 {
			t.Errorf("reader %d at chunk %d waited until %d of %d chunks were verified", k, offsets[k]/1024, r.have, r.tot)
		}
	}
	if got := playbackWindows(t, leecher, st.ID); got != 2 {
		t.Errorf("%d playback windows with two open readers", got)
	}
	if err := readers[0].Close(); err != nil {
		t.Fatal(err)
	}
	if got := playbackWindows(t, leecher, st.ID); got != 1 {
		t.Errorf("%d playback windows after one of two readers closed", got)
	}
	if err := readers[1].Close(); err != nil {
		t.Fatal(err)
	}
	if got := playbackWindows(t, leecher, st.ID); got != 0 {
		t.Errorf("%d playback windows after both readers closed", got)
	}
}

// bulkStart is where the leecher's bulk download of swarm id began: the first verified
// chunk after one that is not (with one seeder, rarest-first fetches a run from its random
// start on).
func bulkStart(t *testing.T, m *running, id ID) uint64 {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.swarms[id].store
	n := st.NumChunks()
	for i := range n {
		if st.Servable(i) && !st.Servable((i+n-1)%n) {
			return i
		}
	}
	t.Fatal("no verified chunk")
	return 0
}

// TestReaderHangUpDropsWindow: a reader whose client goes away while it waits returns the
// context's error, and closing it drops its window only.
func TestReaderHangUpDropsWindow(t *testing.T) {
	dir := t.TempDir()
	src, _ := writeContent(t, dir, "movie.bin", 100_000, 12)
	// A seeder only to learn the swarm ID; the leecher is never told its address, so
	// nothing arrives and reads wait.
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Size: 100_000}); err != nil {
		t.Fatal(err)
	}
	stay, err := leecher.OpenReader(context.Background(), st.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stay.Close()
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	gone, err := leecher.OpenReader(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	stayDone, goneDone := make(chan error, 1), make(chan error, 1)
	go func() { _, err := stay.ReadAt(make([]byte, 10), 0); stayDone <- err }()
	go func() { _, err := gone.ReadAt(make([]byte, 10), 50_000); goneDone <- err }()
	waitFor(t, "both windows", func() bool { return playbackWindows(t, leecher, st.ID) == 2 })
	hangUp()
	if err := <-goneDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("read after hang-up: %v, want context.Canceled", err)
	}
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	if got := playbackWindows(t, leecher, st.ID); got != 1 {
		t.Fatalf("%d playback windows after one reader hung up, want the other's", got)
	}
	select {
	case err := <-stayDone:
		t.Fatalf("the other reader's wait ended: %v", err)
	default:
	}
	if err := stay.Close(); err != nil {
		t.Fatal(err)
	}
	if got := playbackWindows(t, leecher, st.ID); got != 0 {
		t.Fatalf("%d playback windows after both closed", got)
	}
	// The stayed reader's wait ends when the manager stops (goleak checks it returned).
	leecher.stop()
	if err := <-stayDone; err == nil {
		t.Fatal("a waiting read returned no error at shutdown")
	}
}

// TestReaderSeekWhileAnotherStreams is what a player does with a moov-at-end MP4: one read
// streams from the start while another asks for the last bytes. The seeder's upload is
// capped so the download takes about 16 s. Size returns while less than a quarter is
// downloaded (it has the last chunk, which gives the exact length, fetched first rather
// than whenever bulk mode reaches it), and the read at the end is served while the
// download is incomplete, although the streaming read keeps missing chunks and waiting.
// Each reader has its own playback window, so the streaming read cannot take the
// priority from the read at the end.
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
