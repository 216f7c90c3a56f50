package bins

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// vectors mirrors ../shared/protocol/vectors/bins.json (copied to testdata/vectors/).
type vectors struct {
	Special struct {
		None32 uint64 `json:"none_32"`
		All32  uint64 `json:"all_32"`
		None64 uint64 `json:"none_64"`
		All64  uint64 `json:"all_64"`
	} `json:"special"`
	LayerOffset []struct {
		Layer  uint   `json:"layer"`
		Offset uint64 `json:"offset"`
		Bin    uint64 `json:"bin"`
	} `json:"layer_offset_table"`
	Relations []struct {
		Bin       uint64  `json:"bin"`
		Layer     uint    `json:"layer"`
		Offset    uint64  `json:"offset"`
		BaseLeft  uint64  `json:"base_left_chunk"`
		BaseRight uint64  `json:"base_right_chunk"`
		BaseLen   uint64  `json:"base_length"`
		Parent    uint64  `json:"parent"`
		Sibling   uint64  `json:"sibling"`
		IsLeft    bool    `json:"is_left_child"`
		Left      *uint64 `json:"left"`
		Right     *uint64 `json:"right"`
	} `json:"relations"`
	Cover []struct {
		Start  uint64      `json:"start_chunk"`
		End    uint64      `json:"end_chunk"`
		Bins   []uint64    `json:"bins"`
		Ranges [][2]uint64 `json:"bins_as_ranges"`
	} `json:"chunk_range_to_bins"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors", "bins.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.LayerOffset) == 0 || len(v.Relations) == 0 || len(v.Cover) == 0 {
		t.Fatal("bins.json: empty tables")
	}
	return v
}

func TestSpecialValues(t *testing.T) {
	v := loadVectors(t)
	if uint64(None) != v.Special.None64 || uint64(All) != v.Special.All64 || uint64(All32) != v.Special.All32 {
		t.Fatalf("special values differ: None=%x All=%x All32=%x", uint64(None), uint64(All), uint64(All32))
	}
	if All.Layer() != 63 || All.BaseLeft() != 0 || All.BaseRight() != MaxChunk {
		t.Fatalf("All covers %v", All)
	}
	if All32.Layer() != 31 || All32.BaseLength() != 1<<31 {
		t.Fatalf("All32 covers %v", All32)
	}
	if All.Parent() != None {
		t.Fatalf("parent of top = %v", All.Parent())
	}
}

func TestLayerOffset(t *testing.T) {
	for _, c := range loadVectors(t).LayerOffset {
		b := New(c.Layer, c.Offset)
		if uint64(b) != c.Bin {
			t.Errorf("New(%d,%d) = %d, want %d", c.Layer, c.Offset, b, c.Bin)
		}
		if b.Layer() != c.Layer || b.Offset() != c.Offset {
			t.Errorf("bin %d: layer/offset %d/%d, want %d/%d", c.Bin, b.Layer(), b.Offset(), c.Layer, c.Offset)
		}
	}
}

func TestRelations(t *testing.T) {
	for _, c := range loadVectors(t).Relations {
		b := Bin(c.Bin)
		if b.Layer() != c.Layer || b.Offset() != c.Offset {
			t.Errorf("%d: layer/offset %d/%d want %d/%d", c.Bin, b.Layer(), b.Offset(), c.Layer, c.Offset)
		}
		if b.BaseLeft() != c.BaseLeft || b.BaseRight() != c.BaseRight || b.BaseLength() != c.BaseLen {
			t.Errorf("%d: base %d-%d (%d), want %d-%d (%d)", c.Bin, b.BaseLeft(), b.BaseRight(), b.BaseLength(), c.BaseLeft, c.BaseRight, c.BaseLen)
		}
		if uint64(b.Parent()) != c.Parent || uint64(b.Sibling()) != c.Sibling || b.IsLeft() != c.IsLeft {
			t.Errorf("%d: parent %d sibling %d left %v, want %d %d %v", c.Bin, b.Parent(), b.Sibling(), b.IsLeft(), c.Parent, c.Sibling, c.IsLeft)
		}
		if c.Left != nil && (uint64(b.Left()) != *c.Left || uint64(b.Right()) != *c.Right) {
			t.Errorf("%d: children %d %d, want %d %d", c.Bin, b.Left(), b.Right(), *c.Left, *c.Right)
		}
		if !b.Parent().Contains(b) || b.Contains(b.Parent()) {
			t.Errorf("%d: containment with parent wrong", c.Bin)
		}
		if r, ok := b.Range().Bin(); !ok || r != b {
			t.Errorf("%d: Range().Bin() = %d,%v", c.Bin, r, ok)
		}
	}
}

func TestCover(t *testing.T) {
	for _, c := range loadVectors(t).Cover {
		got := AppendCover(nil, ChunkRange{c.Start, c.End})
		if len(got) != len(c.Bins) {
			t.Errorf("cover(%d,%d) = %v, want %v", c.Start, c.End, got, c.Bins)
			continue
		}
		for i := range got {
			if uint64(got[i]) != c.Bins[i] || got[i].BaseLeft() != c.Ranges[i][0] || got[i].BaseRight() != c.Ranges[i][1] {
				t.Errorf("cover(%d,%d)[%d] = %v, want %d %v", c.Start, c.End, i, got[i], c.Bins[i], c.Ranges[i])
			}
		}
	}
}

// TestCoverProperties checks, for every small range, that the cover is contiguous, exact,
// made of aligned bins, and minimal (no two neighbours could merge into their parent).
func TestCoverProperties(t *testing.T) {
	for s := uint64(0); s < 70; s++ {
		for e := s; e < 140; e++ {
			cover := AppendCover(nil, ChunkRange{s, e})
			next := s
			for i, b := range cover {
				if b.BaseLeft() != next {
					t.Fatalf("(%d,%d): gap before %v", s, e, b)
				}
				next = b.BaseRight() + 1
				if i > 0 && cover[i-1].Sibling() == b && cover[i-1].IsLeft() {
					t.Fatalf("(%d,%d): %v and %v could merge", s, e, cover[i-1], b)
				}
			}
			if next != e+1 {
				t.Fatalf("(%d,%d): cover ends at %d", s, e, next-1)
			}
		}
	}
	if got := AppendCover(nil, ChunkRange{5, 4}); len(got) != 0 {
		t.Fatalf("inverted range covered by %v", got)
	}
	if got := AppendCover(nil, ChunkRange{0, MaxChunk}); len(got) != 1 || got[0] != All {
		t.Fatalf("full range covered by %v", got)
	}
	if got := AppendCover(nil, ChunkRange{1, 1<<64 - 1}); len(got) != 0 {
		t.Fatalf("range past MaxChunk covered by %v", got)
	}
	if got := AppendCover(nil, ChunkRange{1, MaxChunk}); len(got) != 63 {
		t.Fatalf("(1,MaxChunk) covered by %d bins, want 63", len(got))
	}
}

func TestByteConversions(t *testing.T) {
	cases := []struct {
		r      ChunkRange
		cs, n  uint64
		want   ByteRange
		wantOK bool
	}{
		{ChunkRange{0, 0}, 1024, 1025, ByteRange{0, 1023}, true},
		{ChunkRange{1, 1}, 1024, 1025, ByteRange{1024, 1024}, true},
		{ChunkRange{0, 3}, 1024, 1025, ByteRange{0, 1024}, true},
		{ChunkRange{2, 3}, 1024, 1025, ByteRange{}, false},
		{ChunkRange{0, 1<<64 - 1}, 1024, 5000, ByteRange{0, 4999}, true},
		{ChunkRange{1 << 60, 1 << 60}, 1024, 5000, ByteRange{}, false},
	}
	for _, c := range cases {
		got, ok := ChunksToBytes(c.r, c.cs, c.n)
		if ok != c.wantOK || got != c.want {
			t.Errorf("ChunksToBytes(%v,%d,%d) = %v,%v want %v,%v", c.r, c.cs, c.n, got, ok, c.want, c.wantOK)
		}
	}
	if r, ok := BytesToChunks(ByteRange{1000, 2048}, 1024); !ok || r != (ChunkRange{0, 2}) {
		t.Errorf("BytesToChunks = %v %v", r, ok)
	}
	if _, ok := BytesToChunks(ByteRange{5, 4}, 1024); ok {
		t.Error("inverted byte range accepted")
	}
}

func BenchmarkAppendCover(b *testing.B) {
	buf := make([]Bin, 0, 128)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = AppendCover(buf[:0], ChunkRange{uint64(i % 1000), uint64(i%1000) + 4099})
	}
}
