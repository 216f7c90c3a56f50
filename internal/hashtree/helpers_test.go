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

// pyRandBytes reproduces Python's random.Random(seed).randbytes(n) for a small
// non-negative seed: MT19937 seeded by init_by_array([seed]), then getrandbits(8n) as
// little-endian bytes, i.e. 32-bit outputs in order, each little-endian, the last one cut
// to its top bits. Used to regenerate the interop content (gen_content.py) without
// storing megabytes.
func pyRandBytes(seed uint32, n int) []byte {
	var mt mt19937
	mt.initByArray([]uint32{seed})
	out := make([]byte, n)
	i := 0
	for ; i+4 <= n; i += 4 {
		v := mt.next()
		out[i], out[i+1], out[i+2], out[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	if rest := n - i; rest > 0 {
		v := mt.next() >> (32 - 8*rest)
		for j := 0; j < rest; j++ {
			out[i+j] = byte(v >> (8 * j))
		}
	}
	return out
}

type mt19937 struct {
	s   [624]uint32
	idx int
}

func (m *mt19937) initGenrand(seed uint32) {
	m.s[0] = seed
	for i := 1; i < 624; i++ {
		m.s[i] = 1812433253*(m.s[i-1]^(m.s[i-1]>>30)) + uint32(i)
	}
	m.idx = 624
}

func (m *mt19937) initByArray(key []uint32) {
	m.initGenrand(19650218)
	i, j := 1, 0
	for k := max(624, len(key)); k > 0; k-- {
		m.s[i] = (m.s[i] ^ ((m.s[i-1] ^ (m.s[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			m.s[0] = m.s[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := 623; k > 0; k-- {
		m.s[i] = (m.s[i] ^ ((m.s[i-1] ^ (m.s[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			m.s[0] = m.s[623]
			i = 1
		}
	}
	m.s[0] = 0x80000000
}

func (m *mt19937) next() uint32 {
	if m.idx >= 624 {
		for k := 0; k < 624; k++ {
			y := m.s[k]&0x80000000 | m.s[(k+1)%624]&0x7fffffff
			v := m.s[(k+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.s[k] = v
		}
		m.idx = 0
	}
	y := m.s[m.idx]
	m.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}
