package livebuf

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"testing"
	"testing/synctest"
)

// tsPacket is one 188-byte MPEG-TS packet with a payload only (adaptation_field_control
// 01) of filler that holds no sync byte.
func tsPacket(pid uint16, start bool, cc byte) []byte {
	p := bytes.Repeat([]byte{0xff}, tsPacketSize)
	p[0] = tsSyncByte
	p[1] = byte(pid>>8) & 0x1f
	if start {
		p[1] |= 0x40
	}
	p[2] = byte(pid)
	p[3] = 0x10 | cc&0x0f
	return p
}

// tsStream is n packets of a program: a PAT every patEvery packets (0: none), a video
// PID otherwise. It returns the stream and the offsets of the PAT starts.
func tsStream(n, patEvery int) ([]byte, []int) {
	var out []byte
	var pats []int
	for k := range n {
		if patEvery > 0 && k%patEvery == 0 {
			pats = append(pats, len(out))
			out = append(out, tsPacket(0, true, byte(k))...)
			continue
		}
		out = append(out, tsPacket(0x100, k%7 == 1, byte(k))...)
	}
	return out, pats
}

// chunks cuts s into chunks of size bytes (the last may be short).
func chunks(s []byte, size int) [][]byte {
	var out [][]byte
	for len(s) > 0 {
		n := min(size, len(s))
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// checkTSStarts checks TSStart on every chunk of a stream whose packets start at 0: the
// offset is a packet boundary, and the first PAT start in the chunk when there is one.
func checkTSStarts(t *testing.T, stream []byte, pats []int, size int) {
	t.Helper()
	for k, c := range chunks(stream, size) {
		base := k * size
		off, ok := TSStart(c)
		if len(c) < 2*tsPacketSize && len(c) < size {
			continue // a short last chunk may show one sync byte only
		}
		if !ok {
			t.Fatalf("chunk %d (%d bytes): not recognised as MPEG-TS", k, len(c))
		}
		if (base+off)%tsPacketSize != 0 {
			t.Fatalf("chunk %d: offset %d is not a packet boundary", k, off)
		}
		wantPAT := -1
		for _, p := range pats {
			if p >= base && p+tsHeaderSize <= base+len(c) {
				wantPAT = p - base
				break
			}
		}
		if wantPAT >= 0 && off != wantPAT {
			t.Fatalf("chunk %d: offset %d, want the PAT at %d", k, off, wantPAT)
		}
		if wantPAT < 0 && off >= tsPacketSize {
			t.Fatalf("chunk %d: offset %d, want the first packet", k, off)
		}
	}
}

func TestTSStartSynthetic(t *testing.T) {
	stream, pats := tsStream(400, 37)
	for _, size := range []int{188, 376, 1000, 1024, 4096, 16384} {
		checkTSStarts(t, stream, pats, size)
	}
	// Shifted: the stream starts mid-packet.
	checkTSStarts(t, append(make([]byte, 188-50), stream...)[188-50:], pats, 1024)
}

func TestTSStartRejects(t *testing.T) {
	pkt := tsPacket(0x100, false, 0)
	noise := bytes.Repeat([]byte{0x12, 0x47, 0x00}, 400)
	reserved := append(tsPacket(0x100, false, 0), tsPacket(0x100, false, 1)...)
	reserved[3] &^= 0x30
	reserved[tsPacketSize+3] &^= 0x30
	broken := append(append([]byte(nil), pkt...), pkt...)
	broken = append(broken, pkt...)
	broken[2*tsPacketSize] = 0x48
	for name, c := range map[string][]byte{
		"empty":         nil,
		"zeros":         make([]byte, 1024),
		"noise":         noise,
		"reserved afc":  reserved,
		"a broken sync": broken,
		// One packet and a bit: the second sync byte is missing.
		"one sync byte": append(append([]byte(nil), pkt...), 0x00, 0x00),
	} {
		if off, ok := TSStart(c); ok {
			t.Errorf("%s: TSStart = %d, true; want false", name, off)
		}
	}
	// A chunk shorter than a packet with a header that fits is taken at its word.
	if off, ok := TSStart(pkt[:100]); !ok || off != 0 {
		t.Errorf("short chunk: %d %v", off, ok)
	}
}

// ffmpegTS is two seconds of ffmpeg's test pattern as MPEG-TS; the test is skipped where
// ffmpeg is absent.
func ffmpegTS(t *testing.T) []byte {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH: skipping the test on real MPEG-TS")
	}
	cmd := exec.Command(path, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=160x120:rate=25", "-t", "2", "-f", "mpegts", "-")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	return out
}

func TestTSStartFFmpeg(t *testing.T) {
	stream := ffmpegTS(t)
	if len(stream)%tsPacketSize != 0 {
		t.Fatalf("ffmpeg wrote %d bytes, not whole packets", len(stream))
	}
	var pats []int
	for o := 0; o < len(stream); o += tsPacketSize {
		if tsIsPATStart(stream[o:]) {
			pats = append(pats, o)
		}
	}
	if len(pats) == 0 {
		t.Fatal("no PAT in ffmpeg's output")
	}
	t.Logf("%d bytes, %d PATs", len(stream), len(pats))
	for _, size := range []int{1024, 1316, 8192} {
		checkTSStarts(t, stream, pats, size)
	}
}

// fill puts stream's chunks of size bytes into a new buffer of the given capacity.
func fill(stream []byte, size int, capacity uint64) *Buffer {
	b := New(size, capacity)
	for i, c := range chunks(stream, size) {
		b.Put(uint64(i), c)
	}
	return b
}

func TestTuneInNotTS(t *testing.T) {
	b := fill(bytes.Repeat([]byte("not a transport stream "), 1000), 100, 50)
	edge, _ := b.Edge()
	for _, tc := range []struct{ lag, want uint64 }{{0, edge}, {8, edge - 8}, {1000, edge - 49}} {
		c, off, err := b.TuneIn(context.Background(), tc.lag)
		if err != nil || c != tc.want || off != 0 {
			t.Errorf("lag %d: TuneIn = %d, %d, %v; want %d, 0", tc.lag, c, off, err, tc.want)
		}
	}
}

func TestTuneInTS(t *testing.T) {
	const size = 1024
	stream, pats := tsStream(2000, 60) // a PAT every 11280 bytes: every 11th chunk or so
	b := fill(stream, size, 100)
	edge, _ := b.Edge()
	const lag = 20
	c, off, err := b.TuneIn(context.Background(), lag)
	if err != nil {
		t.Fatal(err)
	}
	pos := int(c)*size + off
	// The first PAT at or after the chunk lag behind the edge.
	want := -1
	for _, p := range pats {
		if p >= int(edge-lag)*size {
			want = p
			break
		}
	}
	if pos != want {
		t.Fatalf("TuneIn = chunk %d offset %d (byte %d), want the PAT at byte %d", c, off, pos, want)
	}
}

func TestTuneInTSWithoutPAT(t *testing.T) {
	const size = 1024
	stream, _ := tsStream(500, 0)
	stream = stream[77:] // start mid-packet
	b := fill(stream, size, 100)
	edge, _ := b.Edge()
	c, off, err := b.TuneIn(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if c != edge-5 || (int(c)*size+off+77)%tsPacketSize != 0 || off >= tsPacketSize {
		t.Fatalf("TuneIn = %d, %d; want chunk %d at its first packet boundary", c, off, edge-5)
	}
}

// A gap where the start chunk would be moves the start to the next chunk held.
func TestTuneInGap(t *testing.T) {
	b := New(10, 16)
	for _, i := range []uint64{0, 1, 2, 5, 6} {
		b.Put(i, []byte("0123456789"))
	}
	c, off, err := b.TuneIn(context.Background(), 3)
	if err != nil || c != 5 || off != 0 {
		t.Fatalf("TuneIn = %d, %d, %v; want 5, 0", c, off, err)
	}
}

func TestTuneInWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10, 16)
		type result struct {
			c   uint64
			err error
		}
		res := make(chan result, 1)
		go func() {
			c, _, err := b.TuneIn(t.Context(), 8)
			res <- result{c, err}
		}()
		synctest.Wait()
		select {
		case r := <-res:
			t.Fatalf("TuneIn returned %v before any chunk", r)
		default:
		}
		b.Put(3, []byte("0123456789"))
		if r := <-res; r.err != nil || r.c != 3 {
			t.Fatalf("TuneIn = %d, %v; want 3", r.c, r.err)
		}

		ctx, cancel := context.WithCancel(t.Context())
		empty := New(10, 16)
		go func() {
			_, _, err := empty.TuneIn(ctx, 8)
			res <- result{err: err}
		}()
		synctest.Wait()
		cancel()
		if r := <-res; !errors.Is(r.err, context.Canceled) {
			t.Fatalf("cancelled TuneIn: %v", r.err)
		}
		empty.Close()
		if _, _, err := empty.TuneIn(t.Context(), 8); !errors.Is(err, ErrClosed) {
			t.Fatalf("TuneIn on a closed buffer: %v", err)
		}
	})
}
