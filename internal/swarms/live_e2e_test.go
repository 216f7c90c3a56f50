package swarms

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// TestLiveSourceToPeer: a stream written to one manager's live source reaches a peer that
// joined it over loopback UDP, verified, chunk for chunk; both list it as live with its
// edge. Skipped while the engine does not implement live swarms.
func TestLiveSourceToPeer(t *testing.T) {
	const cs, chunks = 1024, 64
	src := startManager(t, Config{Node: fastNode()})
	key := testLiveKey(t)
	st, in, err := src.AddLiveSource(context.Background(), LiveSourceSpec{Key: key, ChunkSize: cs})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	peer := startManager(t, Config{Node: fastNode()})
	if _, err := peer.JoinLive(context.Background(), LiveJoinSpec{ID: st.ID, ChunkSize: cs,
		Peers: []string{src.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	stream := streamBytes(chunks * cs)
	go func() {
		// A chunk at a time, as a stream arrives; the peer tunes in near the edge.
		for off := 0; off < len(stream); off += cs {
			if _, err := in.Write(stream[off : off+cs]); err != nil {
				return
			}
		}
	}()
	store, ok := peer.LiveBuffer(st.ID)
	if !ok {
		t.Fatal("the peer has no live store")
	}
	buf := make([]byte, cs)
	waitFor(t, "the last chunk at the peer", func() bool {
		n, ok := store.Get(chunks-1, buf)
		return ok && n == cs
	})
	if !bytes.Equal(buf, stream[(chunks-1)*cs:]) {
		t.Fatal("the peer's last chunk differs from the source's")
	}
	waitFor(t, "the peer's status to show the edge", func() bool {
		ps, err := peer.Status(st.ID)
		return err == nil && ps.Live && !ps.LiveSource && ps.LiveEdge == chunks-1 && ps.Size == -1
	})
	if err := peer.Remove(context.Background(), st.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(peer.List()) != 0 {
		t.Fatal("removed live swarm still listed")
	}
}

// TestLiveFeedReadsUntilEOF: AddLiveFeed injects what its reader gives until EOF, then says
// so in the status and keeps the swarm. Skipped while the engine does not implement live
// swarms.
func TestLiveFeedReadsUntilEOF(t *testing.T) {
	const cs = 1024
	m := startManager(t, Config{Node: fastNode()})
	stream := streamBytes(8*cs + 100)
	st, err := m.AddLiveFeed(context.Background(), LiveSourceSpec{Key: testLiveKey(t)}, io.NopCloser(bytes.NewReader(stream)))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the feed to end", func() bool {
		s, err := m.Status(st.ID)
		return err == nil && s.Err != "" && s.LiveEdge == 7
	})
}
