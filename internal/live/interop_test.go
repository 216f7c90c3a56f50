package live

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/dissect"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestReplayLibswiftLiveSession replays the recorded libswift live session (Unified Merkle
// Tree, ECDSA P-256, 1024-byte chunks): every SIGNED_INTEGRITY signature verifies with the
// public key in the swarm ID, and every DATA chunk verifies against its munro with the
// INTEGRITY hashes the source sent before it.
func TestReplayLibswiftLiveSession(t *testing.T) {
	r := replayLive(t, filepath.Join("..", "..", "testdata", "interop", "live-umt-ecdsap256-1024.hex.txt"))
	if r.key.Alg() != livesig.ECDSAP256SHA256 || r.signatures != 6 || r.chunks != 160 {
		t.Fatalf("verified %d signatures and %d chunks, the capture has 6 and 160", r.signatures, r.chunks)
	}
	if r.firstChunk != 32 || r.lastChunk != 191 || r.contiguous != 160 {
		t.Fatalf("chunks %d-%d, %d of them verified", r.firstChunk, r.lastChunk, r.contiguous)
	}
}

// TestReplayLibswiftLiveEnv replays a live session recorded by hand from a fresh libswift
// build (see the branch's report): PPSPPD_LIVE_CAPTURE names the hex dump (directions
// "source->leecher" / "leecher->source"), PPSPPD_LIVE_KEY, when set, the key file libswift's
// -K wrote, whose public key must be the session's swarm ID.
func TestReplayLibswiftLiveEnv(t *testing.T) {
	path := os.Getenv("PPSPPD_LIVE_CAPTURE")
	if path == "" {
		t.Skip("PPSPPD_LIVE_CAPTURE not set")
	}
	r := replayLive(t, path)
	if r.signatures == 0 || r.chunks == 0 {
		t.Fatalf("%d signatures, %d chunks", r.signatures, r.chunks)
	}
	if kf := os.Getenv("PPSPPD_LIVE_KEY"); kf != "" {
		k, err := livesig.ReadKeyFile(kf, func(err error) { t.Log(err) })
		if err != nil {
			t.Fatal(err)
		}
		if !k.Public().Equal(r.key) {
			t.Fatalf("key file %s holds %x, the session's swarm ID is %x", kf, k.Public().SwarmID(), r.key.SwarmID())
		}
	}
	t.Logf("%v: %d signatures and %d chunks verified (range %d-%d)", r.key.Alg(), r.signatures, r.chunks, r.firstChunk, r.lastChunk)
}

type replayResult struct {
	key                   *livesig.PublicKey
	signatures, chunks    int
	firstChunk, lastChunk uint64
	contiguous            int // chunks from firstChunk to lastChunk that verified
}

// replayLive decodes a live capture and checks every signature and chunk in it.
func replayLive(t *testing.T, path string) replayResult {
	t.Helper()
	recs, err := capture.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := dissect.NewTracker(wire.DefaultContext())
	var (
		v                     *Verifier
		vRFC                  *Verifier // configured for RFC 7574, fed libswift's form per call
		key                   *livesig.PublicKey
		cands                 []Node
		lastIntegrity         *Node
		signatures, chunks    int
		captureStart          time.Time // the source's clock at the first signed munro
		captureStartOffset    time.Duration
		firstChunk, lastChunk uint64 = ^uint64(0), 0
		windowOption          uint64
		rfcFormVerifiedAnyway bool
	)
	for _, rec := range recs {
		d := tr.Decode(rec)
		if d.Err != nil {
			t.Fatalf("#%d: %v", rec.Index, d.Err)
		}
		fromSource := rec.Src == "source"
		if v == nil && len(d.Datagram.Messages) > 0 {
			if _, ok := d.Datagram.Messages[0].(*wire.Handshake); !ok {
				t.Fatalf("#%d: datagram before the HANDSHAKE that names the swarm", rec.Index)
			}
		}
		for _, m := range d.Datagram.Messages {
			switch m := m.(type) {
			case *wire.Handshake:
				if m.Options.Has(wire.OptDiscardWindow) {
					windowOption = m.Options.DiscardWindow
				}
				if key != nil || !m.Options.Has(wire.OptSwarmID) {
					continue
				}
				if key, err = livesig.ParseSwarmID(m.Options.SwarmID); err != nil {
					t.Fatalf("#%d: swarm ID: %v", rec.Index, err)
				}
				if !m.Options.Has(wire.OptSigAlg) || livesig.Alg(m.Options.SigAlg) != key.Alg() {
					t.Fatalf("swarm ID algorithm %v, option 5 %d", key.Alg(), m.Options.SigAlg)
				}
				if v, err = NewVerifier(VerifierConfig{
					Key: key, Hash: hashtree.HashFunc(d.After.Hash), Form: FormLibswift, Addressing: d.After.Addressing,
					MaxAge: DefaultMaxAge, Window: WindowFromOption(m.Options.DiscardWindow, d.After.Addressing),
				}); err != nil {
					t.Fatal(err)
				}
				if vRFC, err = NewVerifier(VerifierConfig{Key: key, Hash: hashtree.HashFunc(d.After.Hash), Form: FormRFC, Addressing: d.After.Addressing, MaxAge: DefaultMaxAge}); err != nil {
					t.Fatal(err)
				}
			case *wire.Integrity:
				if !fromSource {
					t.Fatalf("#%d: INTEGRITY from the leecher", rec.Index)
				}
				n := Node{Start: m.Spec.Start, End: m.Spec.End, Hash: append([]byte(nil), m.Hash...)}
				cands = append(cands, n)
				lastIntegrity = &n
			case *wire.SignedIntegrity:
				// The munro hash is the INTEGRITY for the same range just before it
				// (RFC 7574 §6.1.2.3).
				if lastIntegrity == nil || lastIntegrity.Start != m.Spec.Start || lastIntegrity.End != m.Spec.End {
					t.Fatalf("#%d: SIGNED_INTEGRITY %d-%d without its INTEGRITY", rec.Index, m.Spec.Start, m.Spec.End)
				}
				sm := SignedMunro{Signed: Signed{Start: m.Spec.Start, End: m.Spec.End, Timestamp: m.Timestamp, Signature: append([]byte(nil), m.Signature...)}, Hash: lastIntegrity.Hash}
				if err := VerifyMunroSignature(key, FormLibswift, d.After.Addressing, sm); err != nil {
					t.Fatalf("#%d: %v", rec.Index, err)
				}
				if VerifyMunroSignature(key, FormRFC, d.After.Addressing, sm) == nil {
					rfcFormVerifiedAnyway = true
				}
				signatures++
				if captureStart.IsZero() {
					captureStart, captureStartOffset = FormLibswift.Time(m.Timestamp), rec.Time
				}
				now := captureStart.Add(rec.Time - captureStartOffset)
				if _, err := v.AddSignedMunro(sm, now); err != nil {
					t.Fatalf("#%d: %v", rec.Index, err)
				}
				// A verifier serving both kinds of peer takes libswift's form per call,
				// and forwards the munro in that form only.
				if _, err := vRFC.AddSignedMunroAs(sm, FormLibswift, now); err != nil {
					t.Fatalf("#%d: as libswift form on an RFC verifier: %v", rec.Index, err)
				}
				if fw, err := vRFC.SignedMunroFor(sm.Start, FormLibswift); err != nil || !bytes.Equal(fw.Signature, sm.Signature) {
					t.Fatalf("#%d: forward in libswift form: %v", rec.Index, err)
				}
				if _, err := vRFC.SignedMunroFor(sm.Start, FormRFC); !errors.Is(err, ErrNoForm) {
					t.Fatalf("#%d: forward in RFC form: %v", rec.Index, err)
				}
			case *wire.Data:
				if m.Spec.Start != m.Spec.End {
					t.Fatalf("#%d: DATA for %d chunks", rec.Index, m.Spec.End-m.Spec.Start+1)
				}
				if err := v.VerifyChunk(m.Spec.Start, m.Payload, cands); err != nil {
					t.Fatalf("#%d: chunk %d: %v", rec.Index, m.Spec.Start, err)
				}
				chunks++
				firstChunk, lastChunk = min(firstChunk, m.Spec.Start), max(lastChunk, m.Spec.Start)
				// A tampered copy of the same chunk must fail, with the same uncles.
				bad := append([]byte(nil), m.Payload...)
				bad[len(bad)/2] ^= 0x80
				if err := v.VerifyChunk(m.Spec.Start, bad, cands); !errors.Is(err, ErrHashMismatch) {
					t.Fatalf("#%d: tampered chunk %d: %v", rec.Index, m.Spec.Start, err)
				}
			}
		}
	}
	if signatures == 0 {
		t.Fatal("no SIGNED_INTEGRITY in the capture")
	}
	if rfcFormVerifiedAnyway {
		t.Fatal("a libswift signature verified in RFC 7574 form too; the form distinction is wrong")
	}
	if WindowFromOption(windowOption, wire.ChunkRange32) != Unlimited {
		t.Logf("discard window %#x", windowOption)
	}
	r := replayResult{key: key, signatures: signatures, chunks: chunks, firstChunk: firstChunk, lastChunk: lastChunk}
	for i := firstChunk; i <= lastChunk && chunks > 0; i++ {
		if v.Have(i) {
			r.contiguous++
		}
	}
	return r
}
