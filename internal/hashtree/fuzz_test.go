package hashtree

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// FuzzPeerInput feeds arbitrary "INTEGRITY + DATA" input to receiving trees. Whatever the
// bytes, nothing may panic, and a chunk may only be accepted if it is the real one.
func FuzzPeerInput(f *testing.F) {
	const cs = 16
	content := make([]byte, 11*cs+7)
	for i := range content {
		content[i] = byte(i * 7)
	}
	seeder, err := Build(content, cs, SHA1)
	if err != nil {
		f.Fatal(err)
	}
	encode := func(target uint64, data []byte, hashes []NodeHash) []byte {
		var b []byte
		b = binary.BigEndian.AppendUint64(b, target)
		b = append(b, byte(len(hashes)))
		for _, h := range hashes {
			b = binary.BigEndian.AppendUint64(b, uint64(h.Bin))
			b = append(b, h.Hash...)
		}
		return append(b, data...)
	}
	for _, c := range []uint64{0, 5, 11} {
		for _, mode := range []Mode{ToPeak, ToRoot} {
			h, _ := seeder.Uncles(nil, bins.Chunk(c), mode, Peer{})
			f.Add(encode(2*c, chunkOf(content, cs, c), h))
		}
	}
	f.Add(encode(uint64(bins.None), nil, nil))
	f.Add(encode(1<<62, []byte{1, 2}, []NodeHash{{Bin: bins.All, Hash: make([]byte, 20)}}))

	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 9 {
			return
		}
		target := bins.Bin(binary.BigEndian.Uint64(in))
		count := int(in[8])
		in = in[9:]
		var cands []NodeHash
		for i := 0; i < count && len(in) >= 28; i++ {
			cands = append(cands, NodeHash{Bin: bins.Bin(binary.BigEndian.Uint64(in)), Hash: in[8:28]})
			in = in[28:]
		}
		data := in
		for _, size := range []int64{-1, int64(len(content))} {
			recv, err := NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: cs, Size: size})
			if err != nil {
				t.Fatal(err)
			}
			rest := cands
			if size < 0 {
				if np, err := recv.AddPeaksPrefix(cands); err == nil {
					rest = cands[np:]
				}
			}
			if recv.VerifyBin(target, data, rest) != nil {
				continue
			}
			lo := target.BaseLeft() * cs
			if hi := lo + uint64(len(data)); hi > uint64(len(content)) || !bytes.Equal(data, content[lo:hi]) {
				t.Fatalf("accepted wrong data for %v", target)
			}
			checkInvariant(t, recv)
		}
	})
}
