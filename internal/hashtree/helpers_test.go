package hashtree

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

func testdata(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...)
}

// merkleVectors mirrors testdata/vectors/merkle*.json (see its README).
type merkleVectors struct {
	ChunkSize int    `json:"chunk_size"`
	Hash      string `json:"hash"`
	Cases     []struct {
		Name    string `json:"name"`
		Content struct {
			Generator string `json:"generator"`
			File      string `json:"file"`
		} `json:"content"`
		Size          int64      `json:"size_bytes"`
		NumChunks     uint64     `json:"num_chunks"`
		RootBin       uint64     `json:"root_bin"`
		RootHash      *string    `json:"root_hash"`
		LastChunkSize int        `json:"last_chunk_size"`
		Peaks         []nodeJSON `json:"peaks"`
		AllNodes      []nodeJSON `json:"all_nodes"`
		Verification  []struct {
			Chunk        uint64     `json:"chunk"`
			ChunkHash    string     `json:"chunk_hash"`
			UnclesToRoot []nodeJSON `json:"uncles_to_root"`
			PeakOfChunk  uint64     `json:"peak_of_chunk"`
			UnclesToPeak []nodeJSON `json:"uncles_to_peak"`
		} `json:"verification"`
	} `json:"cases"`
}

type nodeJSON struct {
	Bin   uint64 `json:"bin"`
	Hash  string `json:"hash"`
	Empty bool   `json:"empty_all_zero"`
}

func loadMerkle(t testing.TB, name string) merkleVectors {
	t.Helper()
	raw, err := os.ReadFile(testdata("vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	var v merkleVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 {
		t.Fatalf("%s: no cases", name)
	}
	return v
}

// vectorContent returns a case's bytes: the stored file, or the byte[i] = i mod 251 rule.
func vectorContent(t testing.TB, file string, size int64) []byte {
	t.Helper()
	if size == 0 {
		return nil
	}
	if file == "" {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i % 251)
		}
		return b
	}
	b, err := os.ReadFile(testdata("vectors", file))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Fatalf("%s: %d bytes, want %d", file, len(b), size)
	}
	return b
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func toNodes(t testing.TB, in []nodeJSON) []NodeHash {
	out := make([]NodeHash, len(in))
	for i, n := range in {
		out[i] = NodeHash{Bin: bins.Bin(n.Bin), Hash: unhex(t, n.Hash)}
	}
	return out
}

// chunkHave is a HaveSet over explicit chunk indices, as a peer's HAVEs would give.
type chunkHave map[uint64]bool

func (h chunkHave) HasAny(r bins.ChunkRange) bool {
	for c := range h {
		if r.Contains(c) {
			return true
		}
	}
	return false
}

// chunkOf returns chunk i of content.
func chunkOf(content []byte, cs int, i uint64) []byte {
	lo := int(i) * cs
	return content[lo:min(lo+cs, len(content))]
}
