package dht

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/anacrolix/dht/v2/krpc"

	"github.com/ppsppd/ppsppd/internal/storage"
)

// NodesFileName is the routing table's file in the state directory.
const NodesFileName = "dht-nodes.json"

// maxSavedNodes bounds what is read back: a routing table of 160 buckets of 8 nodes holds
// at most 1280, so a longer file is not one this package wrote.
const maxSavedNodes = 1280

// nodesFile is the saved routing table: the node's own ID, kept so that it keeps its place
// in the DHT across restarts (BEP 5 nodes are found by ID), and the nodes that answered.
type nodesFile struct {
	Version int         `json:"version"`
	ID      string      `json:"id"` // hex, 20 bytes
	Nodes   []savedNode `json:"nodes"`
}

type savedNode struct {
	ID   string `json:"id"`   // hex, 20 bytes
	Addr string `json:"addr"` // IP:port
}

const nodesFileVersion = 1

// saveNodes writes the table atomically: a crash leaves the old file or the new one.
func saveNodes(path string, id krpc.ID, nodes []krpc.NodeInfo) error {
	f := nodesFile{Version: nodesFileVersion, ID: hex.EncodeToString(id[:]), Nodes: []savedNode{}}
	for _, n := range nodes {
		ap, ok := addrPort(n.Addr)
		if !ok {
			continue
		}
		f.Nodes = append(f.Nodes, savedNode{ID: hex.EncodeToString(n.ID[:]), Addr: ap.String()})
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := storage.WriteFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("saving the DHT routing table: %w", err)
	}
	return nil
}

// loadNodes reads a saved table. A missing file is no error (first start: zero ID, no
// nodes); a damaged one is an error the caller logs before starting afresh. Entries that do
// not parse are skipped, so one bad line does not lose the rest.
func loadNodes(path string) (krpc.ID, []krpc.NodeInfo, error) {
	var id krpc.ID
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return id, nil, nil
	}
	if err != nil {
		return id, nil, fmt.Errorf("reading the DHT routing table: %w", err)
	}
	var f nodesFile
	if err := json.Unmarshal(b, &f); err != nil {
		return id, nil, fmt.Errorf("DHT routing table %s: %w", path, err)
	}
	if f.Version != nodesFileVersion {
		return id, nil, fmt.Errorf("DHT routing table %s: version %d, want %d", path, f.Version, nodesFileVersion)
	}
	if err := parseID(f.ID, &id); err != nil {
		return krpc.ID{}, nil, fmt.Errorf("DHT routing table %s: node ID: %w", path, err)
	}
	var nodes []krpc.NodeInfo
	for _, n := range f.Nodes {
		if len(nodes) == maxSavedNodes {
			break
		}
		var ni krpc.NodeInfo
		ap, err := netip.ParseAddrPort(n.Addr)
		if err != nil || parseID(n.ID, &ni.ID) != nil {
			continue
		}
		if ni.Addr = nodeAddr(ap); ni.Addr.Port == 0 || ap.Addr().IsUnspecified() {
			continue
		}
		nodes = append(nodes, ni)
	}
	return id, nodes, nil
}

func parseID(s string, id *krpc.ID) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return fmt.Errorf("%q: want %d bytes in hex", s, len(id))
	}
	copy(id[:], b)
	return nil
}
