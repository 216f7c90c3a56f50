package livebuf

import "testing"

// FuzzTSStart checks TSStart's promises on any bytes: no panic; when it says MPEG-TS, the
// offset is inside the chunk at a sync byte, every 188th byte of that alignment is one too,
// and an offset past the first packet is a PAT start (the only reason to move on).
func FuzzTSStart(f *testing.F) {
	stream, _ := tsStream(12, 5)
	f.Add(stream[:1024])
	f.Add(stream[100:1124])
	f.Add(stream[:200])
	f.Add([]byte{tsSyncByte, 0x40, 0x00, 0x10})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, chunk []byte) {
		off, ok := TSStart(chunk)
		if !ok {
			if off != 0 {
				t.Fatalf("offset %d with false", off)
			}
			return
		}
		if off < 0 || off >= len(chunk) {
			t.Fatalf("offset %d outside a chunk of %d bytes", off, len(chunk))
		}
		first := off % tsPacketSize
		for q := first; q < len(chunk); q += tsPacketSize {
			if chunk[q] != tsSyncByte {
				t.Fatalf("offset %d: byte %d is %#x, not a sync byte", off, q, chunk[q])
			}
		}
		if off >= tsPacketSize && !tsIsPATStart(chunk[off:]) {
			t.Fatalf("offset %d is past the first packet but no PAT start", off)
		}
	})
}
