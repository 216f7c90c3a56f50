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

// TestVectorFields checks decoded field values against what datagrams.json documents.
func TestVectorFields(t *testing.T) {
	vs := map[string][]byte{}
	for _, v := range loadDatagramVectors(t) {
		vs[v.Name] = unhex(t, v.Hex)
	}
	c := DefaultContext()
	dg, err := DecodeDatagram(vs["handshake_initiate"], &c)
	if err != nil {
		t.Fatal(err)
	}
	h := dg.Messages[0].(*Handshake)
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
	dg, err = DecodeDatagram(vs["integrity_and_data_first_chunk"], &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(dg.Messages) != 6 {
		t.Fatalf("%d messages", len(dg.Messages))
	}
	d := dg.Messages[5].(*Data)
	if d.Spec != RangeSpec(0, 0) || len(d.Payload) != 1024 || d.Payload[1] != 1 {
		t.Fatalf("data %+v", d.Spec)
	}

	c = DefaultContext()
	dg, _ = DecodeDatagram(vs["pex_res_v6"], &c)
	if got := dg.Messages[0].(*PexResV6).Addr; got != netip.MustParseAddrPort("[2001:db8::7]:6778") {
		t.Fatalf("pex v6 %v", got)
	}
	c = DefaultContext()
	c.Addressing = Bin32
	dg, _ = DecodeDatagram(vs["have_bin32"], &c)
	if got := dg.Messages[0].(*Have).Spec.Bin; got != bins.Bin(3) {
		t.Fatalf("have bin32 %v", got)
	}
	c = DefaultContext()
	dg, _ = DecodeDatagram(vs["close_channel"], &c)
	if !dg.Messages[0].(*Handshake).IsClose() || !dg.Messages[0].(*Handshake).Options.Empty() {
		t.Fatal("close not recognised")
	}
	c = DefaultContext()
	dg, _ = DecodeDatagram(vs["keepalive"], &c)
	if len(dg.Messages) != 0 || dg.Channel != 0x5E6F7081 {
		t.Fatalf("keepalive %+v", dg)
	}
}
