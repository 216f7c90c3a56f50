package live

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestThroughTheCodec: what a Source emits fits the wire messages of a live channel (the
// codec sizes signatures from the swarm ID alone), and what a peer decodes verifies. One
// datagram per chunk, laid out as §6.1.2.3 says: INTEGRITY + SIGNED_INTEGRITY of the munro
// (first chunk of a munro only), the uncles, then DATA.
func TestThroughTheCodec(t *testing.T) {
	for _, alg := range livesig.Algs {
		t.Run(alg.String(), func(t *testing.T) {
			k := keyFor(t, alg)
			src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: 16, Form: FormRFC, Addressing: wire.ChunkRange32, Window: 64})
			if err != nil {
				t.Fatal(err)
			}
			hs := wire.Handshake{Source: 7}
			hs.Options.SetVersion(1)
			hs.Options.SetMinVersion(1)
			hs.Options.SetSwarmID(k.Public().SwarmID())
			hs.Options.SetIntegrity(wire.IntegrityUnifiedMHT)
			hs.Options.SetSigAlg(k.Alg().Wire())
			hs.Options.SetAddressing(wire.ChunkRange32)
			hs.Options.SetDiscardWindow(Window(64).Option(wire.ChunkRange32))
			send := wire.DefaultContext()
			hsDgram, err := wire.AppendDatagram(nil, 0, &send, &hs)
			if err != nil {
				t.Fatal(err)
			}
			recv := wire.DefaultContext()
			d, err := wire.DecodeDatagram(hsDgram, &recv)
			if err != nil {
				t.Fatal(err)
			}
			got := d.Messages[0].(*wire.Handshake)
			pub, err := livesig.ParseSwarmID(got.Options.SwarmID)
			if err != nil {
				t.Fatal(err)
			}
			v, err := NewVerifier(VerifierConfig{
				Key: pub, Hash: hashtree.HashFunc(recv.Hash), Form: FormRFC, Addressing: recv.Addressing,
				MaxAge: DefaultMaxAge, Window: WindowFromOption(got.Options.DiscardWindow, recv.Addressing),
			})
			if err != nil {
				t.Fatal(err)
			}
			var dec wire.Decoder
			for range 48 {
				i := src.Next()
				if _, _, err := src.AddChunk(chunk(i, 200), t0); err != nil {
					t.Fatal(err)
				}
			}
			for i := uint64(0); i < 48; i++ {
				var msgs []wire.Message
				if i%16 == 0 {
					sm, err := src.SignedMunro(i)
					if err != nil {
						t.Fatal(err)
					}
					msgs = append(msgs, &wire.Integrity{Spec: wire.RangeSpec(sm.Start, sm.End), Hash: sm.Hash},
						&wire.SignedIntegrity{Spec: wire.RangeSpec(sm.Start, sm.End), Timestamp: sm.Timestamp, Signature: sm.Signature})
				}
				u, err := src.Uncles(i)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range u {
					msgs = append(msgs, &wire.Integrity{Spec: wire.RangeSpec(n.Start, n.End), Hash: n.Hash})
				}
				msgs = append(msgs, &wire.Data{Spec: wire.RangeSpec(i, i), Payload: chunk(i, 200)})
				b, err := wire.AppendDatagram(nil, 9, &send, msgs...)
				if err != nil {
					t.Fatalf("encode chunk %d: %v", i, err)
				}
				dg, err := dec.Decode(b, &recv)
				if err != nil {
					t.Fatalf("decode chunk %d: %v", i, err)
				}
				var cands []Node
				var munroHash []byte
				for _, m := range dg.Messages {
					switch m := m.(type) {
					case *wire.Integrity:
						cands = append(cands, Node{Start: m.Spec.Start, End: m.Spec.End, Hash: m.Hash})
						munroHash = m.Hash
					case *wire.SignedIntegrity:
						sm := SignedMunro{Signed: Signed{Start: m.Spec.Start, End: m.Spec.End, Timestamp: m.Timestamp, Signature: m.Signature}, Hash: munroHash}
						if _, err := v.AddSignedMunro(sm, t0.Add(time.Second)); err != nil {
							t.Fatalf("munro of chunk %d: %v", i, err)
						}
					case *wire.Data:
						if err := v.VerifyChunk(m.Spec.Start, m.Payload, cands); err != nil {
							t.Fatalf("chunk %d: %v", i, err)
						}
					}
				}
			}
		})
	}
}
