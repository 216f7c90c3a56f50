package wire

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// TestVectorsRoundTrip decodes every datagram of datagrams.json and encodes it back.
func TestVectorsRoundTrip(t *testing.T) {
	for _, v := range loadDatagramVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			c := DefaultContext()
			c.Hash = SHA1 // the vectors' swarm uses SHA-1 unless its handshake says otherwise
			c.SigAlg = AlgECDSAP256SHA256
			if strings.Contains(v.Addressing, "bins") {
				c.Addressing = Bin32
			}
			b := unhex(t, v.Hex)
			if len(b) != v.Length {
				t.Fatalf("vector length %d, hex %d", v.Length, len(b))
			}
			roundTrip(t, b, c)
		})
	}
}

// TestVectorFields checks decoded field values against what datagrams.json documents. Each
// vector must be present and decode without error: a vector that fails to decode fails here.
func TestVectorFields(t *testing.T) {
	vs := map[string][]byte{}
	for _, v := range loadDatagramVectors(t) {
		vs[v.Name] = unhex(t, v.Hex)
	}

	c := DefaultContext()
	dg := decodeVector(t, vs, "handshake_initiate", &c, 1)
	h := messageAs[*Handshake](t, dg, 0)
	if dg.Channel != 0 || h.Source != 0x1A2B3C4D || h.Options.Version != 1 || h.Options.MinVersion != 1 ||
		len(h.Options.SwarmID) != 20 || h.Options.Hash != SHA1 || h.Options.Addressing != ChunkRange32 ||
		h.Options.ChunkSize != 1024 || !h.Options.Has(OptChunkSize) || h.Options.Has(OptSigAlg) {
		t.Fatalf("handshake decoded as %+v", h)
	}
	if c.Hash != SHA1 || c.ChunkSize != 1024 || !bytes.Equal(c.SwarmID, h.Options.SwarmID) {
		t.Fatalf("context after handshake: %+v", c)
	}

	c = DefaultContext()
	c.Hash = SHA1
	dg = decodeVector(t, vs, "integrity_and_data_first_chunk", &c, 6)
	d := messageAs[*Data](t, dg, 5)
	if d.Spec != RangeSpec(0, 0) || len(d.Payload) != 1024 || d.Payload[1] != 1 {
		t.Fatalf("data %+v", d.Spec)
	}

	c = DefaultContext()
	dg = decodeVector(t, vs, "pex_res_v6", &c, 1)
	if got := messageAs[*PexResV6](t, dg, 0).Addr; got != netip.MustParseAddrPort("[2001:db8::7]:6778") {
		t.Fatalf("pex v6 %v", got)
	}

	c = DefaultContext()
	c.Addressing = Bin32
	dg = decodeVector(t, vs, "have_bin32", &c, 1)
	if got := messageAs[*Have](t, dg, 0).Spec.Bin; got != bins.Bin(3) {
		t.Fatalf("have bin32 %v", got)
	}

	c = DefaultContext()
	dg = decodeVector(t, vs, "close_channel", &c, 1)
	if closing := messageAs[*Handshake](t, dg, 0); !closing.IsClose() || !closing.Options.Empty() {
		t.Fatal("close not recognised")
	}

	c = DefaultContext()
	dg = decodeVector(t, vs, "keepalive", &c, 0)
	if dg.Channel != 0x5E6F7081 {
		t.Fatalf("keepalive %+v", dg)
	}
}

// decodeVector decodes the named vector with c and requires that it exists, decodes without
// error and holds exactly messages messages.
func decodeVector(t *testing.T, vs map[string][]byte, name string, c *Context, messages int) Datagram {
	t.Helper()
	b, ok := vs[name]
	if !ok {
		t.Fatalf("vector %q missing from datagrams.json", name)
	}
	dg, err := DecodeDatagram(b, c)
	if err != nil {
		t.Fatalf("vector %q: decode: %v", name, err)
	}
	if len(dg.Messages) != messages {
		t.Fatalf("vector %q: %d messages, want %d", name, len(dg.Messages), messages)
	}
	return dg
}

// messageAs returns message i of dg as an M, failing the test if it is of another type.
func messageAs[M Message](t *testing.T, dg Datagram, i int) M {
	t.Helper()
	m, ok := dg.Messages[i].(M)
	if !ok {
		t.Fatalf("message %d is %T, want %T", i, dg.Messages[i], m)
	}
	return m
}
