package dht

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anacrolix/dht/v2/krpc"
)

func TestNodesFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), NodesFileName)
	id := krpc.RandomNodeID()
	nodes := []krpc.NodeInfo{
		{ID: krpc.RandomNodeID(), Addr: krpc.NodeAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7001}},
		{ID: krpc.RandomNodeID(), Addr: krpc.NodeAddr{IP: net.ParseIP("::1"), Port: 7002}},
		{ID: krpc.RandomNodeID(), Addr: krpc.NodeAddr{IP: net.IPv4zero, Port: 7003}}, // not saved
	}
	if err := saveNodes(path, id, nodes); err != nil {
		t.Fatal(err)
	}
	gotID, got, err := loadNodes(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotID != id || len(got) != 2 || got[0].ID != nodes[0].ID || got[1].Addr.String() != "[::1]:7002" ||
		got[0].Addr.String() != "127.0.0.1:7001" {
		t.Fatalf("loaded %v %v", gotID, got)
	}
}

func TestNodesFileMissingAndDamaged(t *testing.T) {
	dir := t.TempDir()
	id, nodes, err := loadNodes(filepath.Join(dir, "none.json"))
	if err != nil || !id.IsZero() || nodes != nil {
		t.Fatalf("missing file: %v %v %v", id, nodes, err)
	}
	for name, body := range map[string]string{
		"garbage":    "\x00\x01not json",
		"version":    `{"version": 9, "id": "00"}`,
		"short id":   `{"version": 1, "id": "abcd"}`,
		"truncated":  `{"version": 1, "id": "`,
		"wrong type": `{"version": "1"}`,
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := loadNodes(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Bad entries are skipped, good ones kept.
	p := filepath.Join(dir, "mixed")
	body := `{"version": 1, "id": "` + strings.Repeat("ab", 20) + `", "nodes": [
		{"id": "` + strings.Repeat("01", 20) + `", "addr": "127.0.0.1:9"},
		{"id": "zz", "addr": "127.0.0.1:9"},
		{"id": "` + strings.Repeat("02", 20) + `", "addr": "nonsense"},
		{"id": "` + strings.Repeat("03", 20) + `", "addr": "127.0.0.1:0"}]}`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, nodes, err = loadNodes(p)
	if err != nil || len(nodes) != 1 || nodes[0].Addr.String() != "127.0.0.1:9" {
		t.Fatalf("mixed file: %v %v", nodes, err)
	}
}
