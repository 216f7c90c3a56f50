package swarms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

func testLiveKey(t *testing.T) *livesig.PrivateKey {
	t.Helper()
	k, err := livesig.GenerateKey(livesig.ECDSAP256SHA256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestLiveSpecsRejected: bad specs are refused with a reason before anything starts.
func TestLiveSpecsRejected(t *testing.T) {
	m := startManager(t, Config{Node: fastNode()})
	ctx := context.Background()
	key := testLiveKey(t)
	for _, tc := range []struct {
		name string
		spec LiveSourceSpec
		want string
	}{
		{"no key", LiveSourceSpec{}, "no key"},
		{"static method", LiveSourceSpec{Key: key, Method: wire.IntegrityMerkle}, "Unified Merkle Tree or Sign All"},
		{"chunk size", LiveSourceSpec{Key: key, ChunkSize: 70000}, "chunk size"},
	} {
		if _, in, err := m.AddLiveSource(ctx, tc.spec); err == nil || in != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: AddLiveSource = %v, %v; want an error about %q", tc.name, in, err, tc.want)
		}
	}
	static := ID(bytes.Repeat([]byte{1}, 20))
	for _, tc := range []struct {
		name string
		spec LiveJoinSpec
		want string
	}{
		{"static ID", LiveJoinSpec{ID: static}, "static swarm"},
		{"not a key", LiveJoinSpec{ID: ID(append([]byte{13}, make([]byte, 10)...))}, "not a live swarm ID"},
		{"bad peer", LiveJoinSpec{ID: ID(key.Public().SwarmID()), Peers: []string{"nowhere"}}, "nowhere"},
		{"sign-all chunk size", LiveJoinSpec{ID: ID(key.Public().SwarmID()), ChunkSize: -1}, "chunk size"},
	} {
		if _, err := m.JoinLive(ctx, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: JoinLive = %v; want an error about %q", tc.name, err, tc.want)
		}
	}
	if l := m.List(); len(l) != 0 {
		t.Fatalf("refused specs left swarms: %+v", l)
	}
}

// TestLiveSourceListedOrCleanedUp: a live source the node accepts is listed as live with
// its ID from the key; one the node refuses leaves nothing behind.
func TestLiveSourceListedOrCleanedUp(t *testing.T) {
	m := startManager(t, Config{Node: fastNode()})
	key := testLiveKey(t)
	st, in, err := m.AddLiveSource(context.Background(), LiveSourceSpec{Key: key, Name: "cam"})
	if err != nil {
		if in != nil {
			t.Fatal("an input with an error")
		}
		if l := m.List(); len(l) != 0 {
			t.Fatalf("a refused live source stays listed: %+v", l)
		}
		if _, ok := m.LiveBuffer(ID(key.Public().SwarmID())); ok {
			t.Fatal("a refused live source has a store")
		}
		t.Fatal(err)
	}
	defer in.Close()
	if st.ID != ID(key.Public().SwarmID()) || !st.Live || !st.LiveSource || st.State != StateSeeding || st.Size != -1 {
		t.Fatalf("status %+v", st)
	}
}

// putTestLive adds a live entry as AddLiveSource would, without the node (which cannot hold
// live swarms until the engine does): for the manager's own rules about live entries.
func putTestLive(t *testing.T, m *Manager, source bool) *entry {
	t.Helper()
	key := testLiveKey(t)
	le := &liveEntry{source: source, method: wire.IntegrityUnifiedMHT, window: 64, store: livebuf.New(1024, 64)}
	e, _, err := m.putLive(ID(key.Public().SwarmID()), le, 1024, "cam", Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestLiveSwarmsNotPersisted: live swarms never reach the swarm list, so a restart does not
// bring them back (a source ends with its process; a peer joins again).
func TestLiveSwarmsNotPersisted(t *testing.T) {
	dir := t.TempDir()
	m := startManager(t, Config{Node: fastNode(), StateDir: dir})
	path, _ := writeContent(t, dir, "static.bin", 5000, 1)
	if _, err := m.Seed(context.Background(), SeedSpec{Path: path}); err != nil {
		t.Fatal(err)
	}
	putTestLive(t, m.Manager, true)
	putTestLive(t, m.Manager, false)
	m.mu.Lock()
	m.listDirty = true
	m.mu.Unlock()
	if err := m.saveList(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, listFile))
	if err != nil {
		t.Fatal(err)
	}
	var data listFileData
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	if len(data.Swarms) != 1 || data.Swarms[0].Kind != kindSeed {
		t.Fatalf("swarm list holds %+v; want the seed only", data.Swarms)
	}
	if len(m.List()) != 3 {
		t.Fatalf("List has %d swarms, want 3", len(m.List()))
	}
}

// TestLiveStatusAndRules: a live swarm's status has no size and its progress is the live
// edge; Stop, Resume and OpenReader refuse it with a reason; Remove ends its input.
func TestLiveStatusAndRules(t *testing.T) {
	m := startManager(t, Config{Node: fastNode()})
	e := putTestLive(t, m.Manager, true)
	st, _ := m.Status(e.id)
	if !st.Live || !st.LiveSource || st.Size != -1 || st.TotalChunks != 0 || st.HaveChunks != 0 || st.LiveIntegrity != "umt" || st.LiveWindow != 64 {
		t.Fatalf("fresh live status %+v", st)
	}
	m.liveEdge(e.id, e.live, 9)
	m.liveEdge(e.id, e.live, 4) // an older chunk does not move the edge back
	st, _ = m.Status(e.id)
	if st.LiveEdge != 9 || st.HaveChunks != 10 || st.Have != 10*1024 {
		t.Fatalf("status after chunk 9: edge %d, have %d chunks, %d bytes", st.LiveEdge, st.HaveChunks, st.Have)
	}
	ctx := context.Background()
	if err := m.Stop(ctx, e.id); !errors.Is(err, errLiveNoStop) {
		t.Errorf("Stop: %v", err)
	}
	if err := m.Resume(ctx, e.id); !errors.Is(err, errLiveNoStop) {
		t.Errorf("Resume: %v", err)
	}
	if _, err := m.OpenReader(ctx, e.id); !errors.Is(err, ErrLive) {
		t.Errorf("OpenReader: %v", err)
	}
	if _, ok := m.LiveBuffer(e.id); !ok {
		t.Error("no live store")
	}
	in := newLiveInput(m.base, 1024, func(context.Context, []byte) error { return nil })
	m.mu.Lock()
	e.live.input = in
	m.mu.Unlock()
	if err := m.Remove(ctx, e.id, RemoveOptions{DeleteState: true, DeleteContent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write(make([]byte, 1024)); !errors.Is(err, ErrLiveInputClosed) {
		t.Fatalf("Write after Remove: %v", err)
	}
	if _, ok := m.LiveBuffer(e.id); ok {
		t.Error("a removed live swarm has a store")
	}
}

// TestLiveKey: a key file is read, a missing one is an error, no file makes a new key of
// the algorithm asked, and an algorithm beside a key file is refused.
func TestLiveKey(t *testing.T) {
	log := zaptest.NewLogger(t)
	dir := t.TempDir()
	k := testLiveKey(t)
	path := filepath.Join(dir, "stream.key")
	if err := livesig.WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	got, err := LiveKey(path, "", log)
	if err != nil || !bytes.Equal(got.Public().SwarmID(), k.Public().SwarmID()) {
		t.Fatalf("LiveKey(file) = %v", err)
	}
	if _, err := LiveKey(filepath.Join(dir, "none.key"), "", log); err == nil {
		t.Fatal("a missing key file was accepted")
	}
	if _, err := LiveKey(path, "ed25519", log); err == nil || !strings.Contains(err.Error(), "carries its own") {
		t.Fatalf("key file and algorithm: %v", err)
	}
	gen, err := LiveKey("", "ed25519", log)
	if err != nil || gen.Alg() != livesig.Ed25519 {
		t.Fatalf("LiveKey(ed25519) = %v", err)
	}
	if gen, err := LiveKey("", "", log); err != nil || gen.Alg() != livesig.DefaultAlg {
		t.Fatalf("LiveKey(default) = %v", err)
	}
	if _, err := LiveKey("", "dsa", log); err == nil {
		t.Fatal("an unknown algorithm was accepted")
	}
}

// TestAddLiveFileMissingInput: a missing input file is refused before anything starts.
func TestAddLiveFileMissingInput(t *testing.T) {
	m := startManager(t, Config{Node: fastNode()})
	_, err := m.AddLiveFile(context.Background(), LiveFileSpec{Path: filepath.Join(t.TempDir(), "nope.ts")})
	if err == nil || !strings.Contains(err.Error(), "nope.ts") {
		t.Fatalf("AddLiveFile(missing) = %v", err)
	}
	if len(m.List()) != 0 {
		t.Fatal("a refused live file left a swarm")
	}
}

// TestAddOfLiveIDJoins: Add of a live swarm ID goes to JoinLive (with its checks), and
// refuses what a stream cannot have.
func TestAddOfLiveIDJoins(t *testing.T) {
	m := startManager(t, Config{Node: fastNode()})
	id := ID(testLiveKey(t).Public().SwarmID())
	ctx := context.Background()
	for _, tc := range []struct {
		spec AddSpec
		want string
	}{
		{AddSpec{ID: id, Dest: "x"}, "takes no destination"},
		{AddSpec{ID: id, Size: 5}, "has no size"},
		{AddSpec{ID: id, Hash: "sha256"}, "hash function"},
		{AddSpec{ID: id, Peers: []string{"nowhere"}}, "nowhere"},
	} {
		if _, err := m.Add(ctx, tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v; want an error about %q", tc.spec, err, tc.want)
		}
	}
	st, err := m.Add(ctx, AddSpec{ID: id, Peers: []string{"127.0.0.1:9"}})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Live || st.LiveSource || st.State != StateDownloading {
		t.Fatalf("Add of a live ID: %+v", st)
	}
}
