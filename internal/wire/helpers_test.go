package wire

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type datagramVector struct {
	Name       string `json:"name"`
	Addressing string `json:"chunk_addressing"`
	Hex        string `json:"hex"`
	Length     int    `json:"length"`
}

// loadDatagramVectors reads testdata/vectors/datagrams.json (a copy of
// ../shared/protocol/vectors/datagrams.json).
func loadDatagramVectors(t testing.TB) []datagramVector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors", "datagrams.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Datagrams []datagramVector `json:"datagrams"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Datagrams) < 20 {
		t.Fatalf("only %d vectors", len(v.Datagrams))
	}
	return v.Datagrams
}

// roundTrip decodes b with a copy of c and requires that re-encoding gives b back.
func roundTrip(t testing.TB, b []byte, c Context) Datagram {
	t.Helper()
	dec, enc := c, c
	dg, err := DecodeDatagram(b, &dec)
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	out, err := AppendDatagram(nil, dg.Channel, &enc, dg.Messages...)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if string(out) != string(b) {
		t.Fatalf("re-encoded differs:\n got %x\nwant %x", out, b)
	}
	n := HeaderLen
	lenCtx := c
	for _, m := range dg.Messages {
		n += m.Len(&lenCtx)
		if h, ok := m.(*Handshake); ok {
			if err := lenCtx.Apply(&h.Options); err != nil {
				t.Fatalf("apply HANDSHAKE options: %v", err)
			}
		}
	}
	if n != len(b) {
		t.Fatalf("sum of Len = %d, datagram is %d bytes", n, len(b))
	}
	return dg
}

func requireErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
}
