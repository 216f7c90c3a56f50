package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

func specFor(a Addressing) ChunkSpec {
	if a.IsBin() {
		return BinSpec(bins.New(2, 1)) // bin 11 = chunks 4..7
	}
	if a == ByteRange64 {
		return RangeSpec(4096, 4096+9) // 10 bytes
	}
	return RangeSpec(4, 7)
}

func allMessages(a Addressing, c *Context) []Message {
	s := specFor(a)
	payload := bytes.Repeat([]byte{0xAB}, 10)
	return []Message{
		&Have{Spec: s}, &Request{Spec: s}, &Cancel{Spec: s},
		&Ack{Spec: s, Delay: -12345},
		&Integrity{Spec: s, Hash: bytes.Repeat([]byte{7}, c.HashSize())},
		&SignedIntegrity{Spec: s, Timestamp: 0xd942494080000000, Signature: bytes.Repeat([]byte{9}, c.SignatureSize())},
		&Choke{}, &Unchoke{}, &PexReq{},
		&PexResV4{Addr: netip.MustParseAddrPort("192.0.2.7:6778")},
		&PexResV6{Addr: netip.MustParseAddrPort("[2001:db8::7]:6778")},
		&PexResCert{Cert: []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		&Data{Spec: s, Timestamp: 1700000000000000, Payload: payload},
	}
}

// TestAllMessagesAllAddressings encodes every message under each addressing method, checks
// Len, the exact spec bytes, and that decoding gives the same message back.
func TestAllMessagesAllAddressings(t *testing.T) {
	for a := Bin32; a <= ChunkRange64; a++ {
		t.Run(a.String(), func(t *testing.T) {
			c := DefaultContext()
			c.Addressing, c.SigAlg = a, AlgECDSAP256SHA256
			msgs := allMessages(a, &c)
			b, err := AppendDatagram(nil, 0x01020304, &c, msgs...)
			if err != nil {
				t.Fatal(err)
			}
			dg := roundTrip(t, b, c)
			if len(dg.Messages) != len(msgs) {
				t.Fatalf("%d messages back, sent %d", len(dg.Messages), len(msgs))
			}
			for i, m := range msgs {
				one, err := m.Append(nil, &c)
				if err != nil {
					t.Fatal(err)
				}
				if len(one) != m.Len(&c) {
					t.Errorf("%v: Len %d, encoded %d", m.Type(), m.Len(&c), len(one))
				}
				if dg.Messages[i].Type() != m.Type() {
					t.Errorf("message %d: type %v, want %v", i, dg.Messages[i].Type(), m.Type())
				}
			}
			// The spec's wire bytes follow the HAVE type byte.
			want := map[Addressing]string{
				Bin32:        "0000000b",
				Bin64:        "000000000000000b",
				ChunkRange32: "0000000400000007",
				ChunkRange64: "00000000000000040000000000000007",
				ByteRange64:  "0000000000001000" + "0000000000001009",
			}[a]
			if got := b[5 : 5+a.SpecSize()]; !bytes.Equal(got, unhex(t, want)) {
				t.Errorf("spec bytes %x, want %s", got, want)
			}
			if got := dg.Messages[3].(*Ack).Delay; got != -12345 {
				t.Errorf("ack delay %d", got)
			}
		})
	}
}

// TestTruncatedPrefixes cuts every message at every length short of complete: each cut must
// fail with ErrTruncated (DATA excepted once its payload has begun, since DATA runs to the end).
func TestTruncatedPrefixes(t *testing.T) {
	for a := Bin32; a <= ChunkRange64; a++ {
		c := DefaultContext()
		c.Addressing, c.SigAlg = a, AlgECDSAP256SHA256
		for _, m := range append(allMessages(a, &c), handshakeForTest()) {
			full, err := AppendDatagram(nil, 9, new(Context(c)), m)
			if err != nil {
				t.Fatal(err)
			}
			min := len(full)
			if d, ok := m.(*Data); ok && a != ByteRange64 {
				min = len(full) - len(d.Payload) + 1
			}
			for cut := HeaderLen + 1; cut < min; cut++ {
				cc := c
				_, err := DecodeDatagram(full[:cut], &cc)
				var de *DecodeError
				if !errors.Is(err, ErrTruncated) || !errors.As(err, &de) || de.Index != 0 || de.Offset != HeaderLen {
					t.Fatalf("%v/%v cut at %d of %d: %v", a, m.Type(), cut, len(full), err)
				}
			}
		}
	}
	_, err := DecodeDatagram([]byte{1, 2, 3}, new(DefaultContext()))
	requireErr(t, err, ErrTruncated)
}

func handshakeForTest() *Handshake {
	h := &Handshake{Source: 0xCAFEBABE}
	h.Options.SetVersion(1)
	h.Options.SetMinVersion(1)
	h.Options.SetSwarmID(bytes.Repeat([]byte{0x11}, 20))
	h.Options.SetIntegrity(IntegrityMerkle)
	h.Options.SetHash(SHA1)
	h.Options.SetAddressing(ChunkRange32)
	h.Options.SetSupportedMessages(TypeHandshake, TypeData, TypeHave)
	h.Options.SetChunkSize(1024)
	return h
}

func TestDecodeErrors(t *testing.T) {
	c := DefaultContext()
	cases := []struct {
		name string
		hex  string
		want error
	}{
		{"unknown type", "000000010300000000000000000e", ErrUnknownMessage},
		{"reserved type", "00000001ff", ErrUnknownMessage},
		{"handshake second", "000000010a00000000ff", ErrHandshakeNotFirst},
		{"inverted range", "00000001030000000500000004", ErrBadValue},
		{"unknown option", "00000000000000000100010aff", ErrUnknownOption},
		{"option order", "00000000000000000101010001ff", ErrOptionOrder},
		{"duplicate option", "000000000000000001000100 02ff", ErrOptionOrder},
		{"no end option", "0000000000000000010001", ErrTruncated},
		{"swarm id too long", "000000000000000001020401", ErrTooLong},
		{"swarm id overflows datagram", "00000000000000000102ffff00", ErrTooLong},
		{"swarm id past end", "00000000000000000102001000", ErrTruncated},
		{"bitmap too long", "0000000000000000010821", ErrTooLong},
		{"window before addressing", "00000000000000000107ffffffffff", ErrBadValue},
		{"unknown addressing", "0000000000000000010609ff", ErrBadValue},
		{"unknown hash", "0000000000000000010409ff", ErrBadValue},
		{"data without payload", "000000010100000000000000000000000000000000", ErrTruncated},
		{"signed integrity without algorithm", "00000001070000000000000000", ErrNoContext},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := c
			b := unhex(t, stripSpaces(tc.hex))
			_, err := DecodeDatagram(b, &cc)
			requireErr(t, err, tc.want)
			var de *DecodeError
			if !errors.As(err, &de) || de.Error() == "" {
				t.Fatalf("not a *DecodeError: %T", err)
			}
		})
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func TestParseOptions(t *testing.T) {
	// Bytes after the end option are an error for a standalone option list.
	_, err := ParseOptions(unhex(t, "0001ff0001"))
	requireErr(t, err, ErrTrailingBytes)

	o, err := ParseOptions(unhex(t, "000101010200020a0b0301060007ffffffff0802d9f009ffffffffff"))
	if err != nil {
		t.Fatal(err)
	}
	if o.DiscardWindow != 0xffffffff || o.ChunkSize != VariableChunkSize || !bytes.Equal(o.SwarmID, []byte{10, 11}) {
		t.Fatalf("%+v", o)
	}
	// RFC 7574 §7.10's example: everything but ACK and the PEX messages.
	for typ := MsgType(0); typ < NumMsgTypes; typ++ {
		want := typ != TypeAck && typ != TypePexResV4 && typ != TypePexReq && typ != TypePexResV6 && typ != TypePexResCert
		if o.Supports(typ) != want {
			t.Errorf("Supports(%v) = %v", typ, !want)
		}
	}
	all := make([]MsgType, NumMsgTypes)
	for i := range all {
		all[i] = MsgType(i)
	}
	if got := SupportedMessagesBitmap(all...); !bytes.Equal(got, []byte{0xff, 0xfc}) {
		t.Errorf("bitmap of all types %x", got)
	}
	if got := SupportedMessagesBitmap(TypeHandshake, TypeData, TypeHave, TypeIntegrity, TypeSignedIntegrity,
		TypeRequest, TypeCancel, TypeChoke, TypeUnchoke); !bytes.Equal(got, []byte{0xd9, 0xf0}) {
		t.Errorf("RFC example bitmap %x", got)
	}
	// A 64-bit window under 64-bit addressing.
	o, err = ParseOptions(unhex(t, "0604070000000000000010ff"))
	if err != nil || o.DiscardWindow != 16 {
		t.Fatalf("%+v %v", o, err)
	}
	// Encoding refuses a window without addressing.
	var bad Options
	bad.SetDiscardWindow(5)
	if _, err := bad.Append(nil); !errors.Is(err, ErrBadValue) {
		t.Fatalf("window without addressing encoded: %v", err)
	}
}

func TestContextApply(t *testing.T) {
	// libswift's live handshake: integrity 3 without option 4 means SHA-1; ECDSA P-256 signs 64 bytes.
	c := DefaultContext()
	var o Options
	o.SetSwarmID(append([]byte{13}, bytes.Repeat([]byte{1}, 64)...))
	o.SetIntegrity(IntegrityUnifiedMHT)
	o.SetSigAlg(AlgECDSAP256SHA256)
	if err := c.Apply(&o); err != nil {
		t.Fatal(err)
	}
	if c.HashSize() != 20 || c.SignatureSize() != 64 {
		t.Fatalf("hash %d sig %d", c.HashSize(), c.SignatureSize())
	}
	// A reply without option 4 keeps an explicit SHA-256 of the initiator.
	c = DefaultContext()
	o = Options{}
	o.SetHash(SHA256)
	if err := c.Apply(&o); err != nil {
		t.Fatal(err)
	}
	o = Options{}
	o.SetIntegrity(IntegrityUnifiedMHT)
	if err := c.Apply(&o); err != nil {
		t.Fatal(err)
	}
	if c.Hash != SHA256 {
		t.Fatalf("explicit hash reset to %v", c.Hash)
	}
	// RSA: the signature is as long as the modulus in the RFC 3110 key.
	key := append([]byte{byte(AlgRSASHA256), 3, 1, 0, 1}, bytes.Repeat([]byte{0xee}, 256)...)
	c = DefaultContext()
	o = Options{}
	o.SetSwarmID(key)
	o.SetIntegrity(IntegritySignAll)
	o.SetSigAlg(AlgRSASHA256)
	if err := c.Apply(&o); err != nil {
		t.Fatal(err)
	}
	if c.SignatureSize() != 256 {
		t.Fatalf("RSA-2048 signature size %d", c.SignatureSize())
	}
}

func TestEncodeErrors(t *testing.T) {
	c := DefaultContext()
	c.Addressing = Bin32
	if _, err := (&Have{Spec: BinSpec(1 << 40)}).Append(nil, &c); !errors.Is(err, ErrBadValue) {
		t.Errorf("64-bit bin in 32-bit addressing: %v", err)
	}
	if b, err := (&Have{Spec: BinSpec(bins.None)}).Append(nil, &c); err != nil || !bytes.Equal(b, unhex(t, "03ffffffff")) {
		t.Errorf("empty bin encoded as %x %v", b, err)
	}
	c = DefaultContext()
	if _, err := (&Request{Spec: RangeSpec(0, 1<<33)}).Append(nil, &c); !errors.Is(err, ErrBadValue) {
		t.Errorf("range over 32 bits: %v", err)
	}
	if _, err := (&Integrity{Spec: RangeSpec(0, 0), Hash: make([]byte, 20)}).Append(nil, &c); !errors.Is(err, ErrBadValue) {
		t.Errorf("SHA-1 hash on a SHA-256 channel: %v", err)
	}
	if _, err := (&PexResV4{Addr: netip.MustParseAddrPort("[::1]:1")}).Append(nil, &c); !errors.Is(err, ErrBadValue) {
		t.Errorf("v6 address in PEX_RESv4: %v", err)
	}
}

// TestMultipleData checks RFC 7574 §8.6: with fixed-size chunks, full DATA messages can
// share a datagram and only the last may be short.
func TestMultipleData(t *testing.T) {
	c := DefaultContext()
	c.ChunkSize = 4
	b, err := AppendDatagram(nil, 1, new(Context(c)),
		&Data{Spec: RangeSpec(0, 0), Payload: []byte("abcd")},
		&Data{Spec: RangeSpec(1, 2), Payload: []byte("efghijkl")},
		&Data{Spec: RangeSpec(3, 3), Payload: []byte("mn")})
	if err != nil {
		t.Fatal(err)
	}
	dg := roundTrip(t, b, c)
	if len(dg.Messages) != 3 || string(dg.Messages[1].(*Data).Payload) != "efghijkl" || string(dg.Messages[2].(*Data).Payload) != "mn" {
		t.Fatalf("%+v", dg.Messages)
	}
}
