package live

import (
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Sign All (RFC 7574 §6.1.1): every chunk carries its own SIGNED_INTEGRITY, which covers
// the chunk spec as on the wire ‖ the NTP timestamp ‖ the chunk. libswift does not
// implement it, so only FormRFC exists here.

// SignChunk signs chunk i of a Sign All stream at time now, for addressing a.
func SignChunk(k *livesig.PrivateKey, a wire.Addressing, i uint64, data []byte, now time.Time) (Signed, error) {
	ts := FormRFC.Timestamp(now)
	msg, err := signedBytes(make([]byte, 0, 32+len(data)), FormRFC, a, i, i, ts, data)
	if err != nil {
		return Signed{}, err
	}
	sig, err := k.Sign(msg)
	if err != nil {
		return Signed{}, fmt.Errorf("sign chunk %d: %w", i, err)
	}
	return Signed{Start: i, End: i, Timestamp: ts, Signature: sig}, nil
}

// SignAllVerifier checks the chunks of a Sign All stream.
type SignAllVerifier struct {
	key        *livesig.PublicKey
	addressing wire.Addressing
	maxAge     time.Duration
	window     Window
	edge       uint64
	hasEdge    bool
	msgBuf     []byte
}

// NewSignAllVerifier checks chunks signed by key, for addressing a. maxAge and w play the
// roles they play in VerifierConfig.
func NewSignAllVerifier(key *livesig.PublicKey, a wire.Addressing, maxAge time.Duration, w Window) (*SignAllVerifier, error) {
	if key == nil {
		return nil, fmt.Errorf("sign-all verifier: no public key")
	}
	if _, err := specOf(a, 0, 0); err != nil {
		return nil, fmt.Errorf("sign-all verifier: %w", err)
	}
	return &SignAllVerifier{key: key, addressing: a, maxAge: maxAge, window: w}, nil
}

// Verify checks chunk data against its SIGNED_INTEGRITY s, received at time now. A chunk
// that verifies past the current edge becomes the new edge.
func (v *SignAllVerifier) Verify(s Signed, data []byte, now time.Time) error {
	if s.Start != s.End {
		return fmt.Errorf("%w: sign-all signature over chunks %d-%d, want one chunk", ErrBadMunro, s.Start, s.End)
	}
	if v.hasEdge && !v.window.Keeps(v.edge, s.Start) {
		return fmt.Errorf("%w: chunk %d, window keeps from %d", ErrOutsideWindow, s.Start, v.window.Oldest(v.edge))
	}
	msg, err := signedBytes(v.msgBuf[:0], FormRFC, v.addressing, s.Start, s.End, s.Timestamp, data)
	v.msgBuf = msg
	if err != nil {
		return err
	}
	if err := v.key.Verify(msg, s.Signature); err != nil {
		return fmt.Errorf("%w: chunk %d: %v", ErrBadSignature, s.Start, err)
	}
	newest := !v.hasEdge || s.Start > v.edge
	if newest && v.maxAge > 0 {
		if t := FormRFC.Time(s.Timestamp); now.Sub(t) > v.maxAge {
			return fmt.Errorf("%w: chunk %d signed at %v", ErrStale, s.Start, t.Format(time.RFC3339Nano))
		}
	}
	if newest {
		v.edge, v.hasEdge = s.Start, true
	}
	return nil
}

// Edge is the newest chunk verified; false before the first.
func (v *SignAllVerifier) Edge() (uint64, bool) { return v.edge, v.hasEdge }
