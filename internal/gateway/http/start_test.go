package httpgw

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// A GET for a swarm the daemon does not hold starts it when the URL names a peer, passing
// on what libswift's query keys say, and then streams it.
func TestGETStartsSwarmWithPeer(t *testing.T) {
	m := newFakeManager()
	content := randomContent(20*fakeChunk, 20)
	m.onAdd = func(swarms.AddSpec) *fakeSwarm { return completeSwarm(content, "") }
	g := startGateway(t, m, Options{})
	id := testID(20)

	path := "/" + id.String() + "$4096/talk.mp4?peer=127.0.0.1:7001&t=127.0.0.1:7002&cl=20480&hf=2&v=1&ca=2&cp=1"
	resp, body := get(t, g, path, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Fatalf("body: %d bytes, not the content", len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
		t.Errorf("Content-Type %q, want video/mp4 from the path's file name", ct)
	}
	specs := m.addedSpecs()
	if len(specs) != 1 {
		t.Fatalf("added %d swarms, want 1", len(specs))
	}
	s := specs[0]
	if s.ID != id || s.ChunkSize != 4096 || s.Size != 20480 || s.Hash != "sha256" || s.Name != "talk.mp4" ||
		!slices.Equal(s.Peers, []string{"127.0.0.1:7001", "127.0.0.1:7002"}) {
		t.Errorf("AddSpec %+v", s)
	}

	// The second GET finds it: no second Add.
	resp, body = get(t, g, "/"+id.String()+"?peer=127.0.0.1:7001", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if n := len(m.addedSpecs()); n != 1 {
		t.Errorf("%d Adds after the second GET, want 1", n)
	}
}

func TestGETStartsSwarmWithKnownPeers(t *testing.T) {
	m := newFakeManager()
	content := randomContent(3*fakeChunk, 21)
	m.onAdd = func(swarms.AddSpec) *fakeSwarm { return completeSwarm(content, "") }
	var asked []swarms.ID
	g := startGateway(t, m, Options{KnownPeers: func(id swarms.ID) []string {
		asked = append(asked, id)
		return []string{"127.0.0.1:6778"}
	}})
	id := testID(21)

	resp, body := get(t, g, "/"+id.String()+"?cs=2048", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Fatalf("body: %d bytes, not the content", len(body))
	}
	specs := m.addedSpecs()
	if len(specs) != 1 || !slices.Equal(specs[0].Peers, []string{"127.0.0.1:6778"}) || specs[0].ChunkSize != 2048 ||
		specs[0].Size != -1 || specs[0].Hash != "" {
		t.Errorf("AddSpec %+v", specs)
	}
	if len(asked) != 1 || asked[0] != id {
		t.Errorf("KnownPeers asked for %v", asked)
	}
}

func TestStartFailuresAndFailedSwarms(t *testing.T) {
	m := newFakeManager() // onAdd nil: Add fails
	g := startGateway(t, m, Options{})

	resp, body := get(t, g, "/"+testID(22).String()+"?peer=127.0.0.1:7001", nil)
	wantStatus(t, resp, body, http.StatusBadGateway)
	if !strings.Contains(string(body), "starting swarm") {
		t.Errorf("body %q", body)
	}

	broken := newFakeSwarm(randomContent(10, 23), "")
	broken.state, broken.errText = swarms.StateError, "disk full"
	m.put(testID(23), broken)
	resp, body = get(t, g, "/"+testID(23).String(), nil)
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
	if !strings.Contains(string(body), "disk full") {
		t.Errorf("body %q lacks the swarm's error", body)
	}
}

// With discovery on (the DHT), a GET for a swarm the daemon does not hold starts it with no
// peer named: the daemon finds its peers itself.
func TestGETStartsSwarmByDiscovery(t *testing.T) {
	m := newFakeManager()
	content := randomContent(3*fakeChunk, 22)
	m.onAdd = func(swarms.AddSpec) *fakeSwarm { return completeSwarm(content, "") }
	g := startGateway(t, m, Options{Discovery: true})
	id := testID(22)
	resp, body := get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Fatalf("body: %d bytes, not the content", len(body))
	}
	specs := m.addedSpecs()
	if len(specs) != 1 || specs[0].ID != id || len(specs[0].Peers) != 0 {
		t.Fatalf("added %+v, want one swarm with no peers named", specs)
	}
}
