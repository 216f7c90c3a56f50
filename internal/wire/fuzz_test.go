package wire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/capture"
)

// fuzzContext turns one fuzzer-chosen byte into a channel context, so the fuzzer explores
// every addressing method, hash length, fixed or unknown chunk size, and signature length.
//
//	bits 0-2: addressing (mod 5)   bits 3-5: hash function (mod 5)
//	bit 6:    chunk size 1024       bit 7:    ECDSA P-256 signatures
func fuzzContext(sel uint8) Context {
	c := DefaultContext()
	c.Addressing = Addressing(sel & 7 % 5)
	c.Hash = HashFunc(sel >> 3 & 7 % 5)
	if sel&0x40 != 0 {
		c.ChunkSize = 1024
	}
	if sel&0x80 != 0 {
		c.SigAlg = AlgECDSAP256SHA256
	}
	return c
}

// Context selectors of the libswift captures: chunk32 + SHA-1, plus ECDSA P-256 when live.
const (
	selVOD  uint8 = 2
	selLive uint8 = 2 | 0x80
)

// FuzzDatagram checks that decoding never panics, and that whatever decodes encodes back to
// the identical bytes with Len agreeing (the encoding is canonical).
func FuzzDatagram(f *testing.F) {
	for _, v := range loadDatagramVectors(f) {
		f.Add(selVOD, unhex(f, v.Hex))
	}
	f.Fuzz(func(t *testing.T, sel uint8, b []byte) {
		c := fuzzContext(sel)
		dec := c
		dg, err := DecodeDatagram(b, &dec)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is %T, not *DecodeError: %v", err, err)
			}
			return
		}
		enc := c
		out, err := AppendDatagram(nil, dg.Channel, &enc, dg.Messages...)
		if err != nil {
			t.Fatalf("decoded datagram does not encode: %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoded differs:\n in %x\nout %x", b, out)
		}
		if enc.Addressing != dec.Addressing || enc.Hash != dec.Hash || enc.ChunkSize != dec.ChunkSize {
			t.Fatalf("contexts diverge: %+v vs %+v", enc, dec)
		}
	})
}

// FuzzOptions checks the HANDSHAKE option parser alone: no panic, and a list that parses
// encodes back identically.
func FuzzOptions(f *testing.F) {
	f.Add(unhex(f, "00010101020014706da5efff5fc145dac4361f970b9bd2afc21861030104000602ff"))
	f.Add(unhex(f, "000101010200020a0b0301060007ffffffff0802d9f009ffffffffff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOptions(b)
		if err != nil {
			return
		}
		out, err := o.Append(nil)
		if err != nil {
			t.Fatalf("parsed options do not encode: %v", err)
		}
		if !bytes.Equal(out, b) || o.Len() != len(b) {
			t.Fatalf("re-encoded %x (Len %d), input %x", out, o.Len(), b)
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/ from the libswift captures when
// PPSPPD_WRITE_CORPUS=1; otherwise it checks that the committed corpus is there.
func TestWriteFuzzCorpus(t *testing.T) {
	dgDir := filepath.Join("testdata", "fuzz", "FuzzDatagram")
	optDir := filepath.Join("testdata", "fuzz", "FuzzOptions")
	if os.Getenv("PPSPPD_WRITE_CORPUS") != "1" {
		for _, d := range []string{dgDir, optDir} {
			if ents, err := os.ReadDir(d); err != nil || len(ents) < 5 {
				t.Fatalf("seed corpus %s missing (regenerate with PPSPPD_WRITE_CORPUS=1): %v", d, err)
			}
		}
		return
	}
	seen := map[string]bool{}
	for _, src := range []struct {
		file string
		sel  uint8
	}{
		{"vod-1025B-sha1-1024.hex.txt", selVOD},
		{"live-umt-ecdsap256-1024.hex.txt", selLive},
	} {
		recs, err := capture.ReadFile(filepath.Join("..", "..", "testdata", "interop", src.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			// One seed per distinct shape (length and message types), to keep the corpus small.
			shape := fmt.Sprint(len(r.Payload), r.Payload[4:min(len(r.Payload), 5)])
			if seen[shape] {
				continue
			}
			seen[shape] = true
			writeSeed(t, dgDir, fmt.Sprintf("%s-%03d", strings.SplitN(src.file, "-", 2)[0], r.Index), fmt.Sprintf("uint8(%d)", src.sel), r.Payload)
			if len(r.Payload) > 9 && r.Payload[4] == byte(TypeHandshake) {
				var h Handshake
				if n, err := parseHandshake(&h, r.Payload[5:]); err == nil {
					writeSeed(t, optDir, fmt.Sprintf("%s-%03d", strings.SplitN(src.file, "-", 2)[0], r.Index), "", r.Payload[9:5+n])
				}
			}
		}
	}
}

func writeSeed(t *testing.T, dir, name, first string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "go test fuzz v1\n"
	if first != "" {
		body += first + "\n"
	}
	body += "[]byte(" + strconv.Quote(string(b)) + ")\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
