package live

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

func TestNTPTimestamp(t *testing.T) {
	// RFC 5905 §6: 1970-01-01 is 2208988800 s after 1900-01-01.
	if got := NTPTimestamp(time.Unix(0, 0)); got != 2208988800<<32 {
		t.Fatalf("Unix epoch = %#x", got)
	}
	if got := NTPTimestamp(time.Unix(0, 500_000_000)); got != 2208988800<<32|1<<31 {
		t.Fatalf("half a second = %#x", got)
	}
	for _, tm := range []time.Time{
		time.Date(2026, 12, 1, 12, 0, 0, 123456789, time.UTC),
		time.Date(2036, 2, 7, 6, 28, 15, 0, time.UTC), // last second of era 0
		time.Date(2036, 2, 7, 6, 28, 16, 0, time.UTC), // first of era 1
		time.Date(2060, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		back := NTPTime(NTPTimestamp(tm))
		if d := back.Sub(tm); d < -time.Nanosecond || d > time.Nanosecond {
			t.Errorf("%v came back as %v", tm, back)
		}
	}
}

func TestFormTimestamp(t *testing.T) {
	tm := time.Date(2026, 12, 1, 12, 0, 0, 123456000, time.UTC)
	if got := FormLibswift.Timestamp(tm); got != uint64(tm.UnixMicro()) {
		t.Fatalf("libswift timestamp %d", got)
	}
	if !FormLibswift.Time(FormLibswift.Timestamp(tm)).Equal(tm) || !FormRFC.Time(FormRFC.Timestamp(tm)).Round(time.Microsecond).Equal(tm) {
		t.Fatal("timestamps do not round-trip")
	}
	// The recorded libswift session's first SIGNED_INTEGRITY timestamp is µs since 1970.
	if y := FormLibswift.Time(0x0006610d92f8d5c2).Year(); y < 2024 || y > 2030 {
		t.Fatalf("libswift capture timestamp reads as year %d", y)
	}
	_ = FormLibswift.Time(^uint64(0)) // must not panic
}

func TestSignedBytes(t *testing.T) {
	got, err := signedBytes(nil, FormRFC, wire.ChunkRange32, 32, 63, 0x0102030405060708, []byte{0xaa, 0xbb})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 32, 0, 0, 0, 63, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa, 0xbb}
	if string(got) != string(want) {
		t.Fatalf("RFC form % x", got)
	}
	got, _ = signedBytes(nil, FormRFC, wire.Bin32, 32, 63, 1, nil)
	if string(got[:4]) != string([]byte{0, 0, 0, 95}) { // bin of chunks 32-63: layer 5, offset 1
		t.Fatalf("bin form % x", got)
	}
	got, _ = signedBytes(nil, FormLibswift, wire.ChunkRange32, 32, 63, 1, []byte{0xaa})
	if string(got) != "\xaa" {
		t.Fatalf("libswift form % x", got)
	}
	if _, err := signedBytes(nil, FormRFC, wire.Bin32, 32, 62, 1, nil); err == nil {
		t.Fatal("non-bin range under bin addressing")
	}
}

func TestWindow(t *testing.T) {
	if WindowFromOption(0xffffffff, wire.ChunkRange32) != Unlimited || WindowFromOption(^uint64(0), wire.ChunkRange64) != Unlimited {
		t.Fatal("all ones is no limit")
	}
	if w := WindowFromOption(4096, wire.ChunkRange32); w != 4096 || w.Option(wire.ChunkRange32) != 4096 {
		t.Fatalf("%d", w)
	}
	if Unlimited.Option(wire.ChunkRange32) != wire.KeepAll || Window(1<<33).Option(wire.ChunkRange32) != wire.KeepAll || Window(1<<33).Option(wire.ChunkRange64) != 1<<33 {
		t.Fatal("unlimited option")
	}
	w := Window(10)
	if w.Oldest(5) != 0 || w.Oldest(9) != 0 || w.Oldest(10) != 1 || w.Oldest(100) != 91 {
		t.Fatal("Oldest")
	}
	if w.Keeps(100, 90) || !w.Keeps(100, 91) || !w.Keeps(100, 200) || !Unlimited.Keeps(1<<40, 0) {
		t.Fatal("Keeps")
	}
}
