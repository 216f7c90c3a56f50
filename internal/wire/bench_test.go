package wire

import (
	"bytes"
	"testing"
)

// dataIntegrityDatagram is the typical serving datagram of a 1024-byte-chunk swarm with
// SHA-1: two INTEGRITY messages (peak, uncle) and one DATA, as libswift sends it.
func dataIntegrityMessages(c *Context) (*Integrity, *Integrity, *Data) {
	return &Integrity{Spec: RangeSpec(0, 1), Hash: bytes.Repeat([]byte{1}, c.HashSize())},
		&Integrity{Spec: RangeSpec(1, 1), Hash: bytes.Repeat([]byte{2}, c.HashSize())},
		&Data{Spec: RangeSpec(0, 0), Timestamp: 1795560697165421, Payload: bytes.Repeat([]byte{3}, 1024)}
}

func BenchmarkEncodeDataIntegrity(b *testing.B) {
	c := DefaultContext()
	c.Hash = SHA1
	i1, i2, d := dataIntegrityMessages(&c)
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	b.SetBytes(int64(HeaderLen + i1.Len(&c) + i2.Len(&c) + d.Len(&c)))
	for b.Loop() {
		var err error
		buf = AppendHeader(buf[:0], 0x8d86f21a)
		if buf, err = i1.Append(buf, &c); err != nil {
			b.Fatal(err)
		}
		if buf, err = i2.Append(buf, &c); err != nil {
			b.Fatal(err)
		}
		if buf, err = d.Append(buf, &c); err != nil {
			b.Fatal(err)
		}
	}
	if len(buf) != 1103 {
		b.Fatalf("datagram of %d bytes, libswift's is 1103", len(buf))
	}
}

func BenchmarkDecodeDataIntegrity(b *testing.B) {
	c := DefaultContext()
	c.Hash = SHA1
	i1, i2, d := dataIntegrityMessages(&c)
	dg, err := AppendDatagram(nil, 0x8d86f21a, &c, i1, i2, d)
	if err != nil {
		b.Fatal(err)
	}
	var dec Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(dg)))
	for b.Loop() {
		cc := c
		out, err := dec.Decode(dg, &cc)
		if err != nil || len(out.Messages) != 3 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeHandshake measures the handshake path, which applies options to the context.
func BenchmarkDecodeHandshake(b *testing.B) {
	c := DefaultContext()
	dg, err := AppendDatagram(nil, 0, new(Context(c)), handshakeForTest(), &Have{Spec: RangeSpec(0, 1023)})
	if err != nil {
		b.Fatal(err)
	}
	var dec Decoder
	b.ReportAllocs()
	for b.Loop() {
		cc := c
		if _, err := dec.Decode(dg, &cc); err != nil {
			b.Fatal(err)
		}
	}
}
