package capture

import (
	"bytes"
	"os"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the capture reader (pcap, pcapng or hex dump, told apart
// by content): it must return records or an error, never panic or allocate without bound.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"vod-1025B-sha1-1024.pcap", "vod-1025B-sha1-1024.hex.txt"} {
		raw, err := os.ReadFile(testdata(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw[:min(len(raw), 4096)])
	}
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0})
	f.Add([]byte("0.1 a->b 4 00000001\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, r := range recs {
			if r.Index != i+1 {
				t.Fatalf("record %d has index %d", i, r.Index)
			}
		}
	})
}
