package live

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
)

// bothForms makes a source that signs in both forms (RFC 7574 primary) and a verifier
// configured for verifierForm.
func bothForms(t *testing.T, verifierForm Form, n uint64) (*Source, *Verifier) {
	t.Helper()
	k := keyFor(t, livesig.ECDSAP256SHA256)
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: n, Form: FormRFC, Forms: []Form{FormRFC, FormLibswift}, Addressing: DefaultAddressing})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Key: k.Public(), Hash: hashtree.SHA1, Form: verifierForm, Addressing: DefaultAddressing, MaxAge: DefaultMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	return src, v
}

// mustSigned returns chunk i's munro in form f from a source or verifier.
func mustSigned(t *testing.T, get func(uint64, Form) (SignedMunro, error), i uint64, f Form) SignedMunro {
	t.Helper()
	sm, err := get(i, f)
	if err != nil {
		t.Fatalf("chunk %d in %v form: %v", i, f, err)
	}
	return sm
}

// TestSourceSignsEveryForm: a source configured for both forms signs each munro in both,
// each signature verifies in its own form only, and AddChunk and SignedMunro give the
// primary form.
func TestSourceSignsEveryForm(t *testing.T) {
	src, _ := bothForms(t, FormRFC, 8)
	pub := keyFor(t, livesig.ECDSAP256SHA256).Public()
	munros := feed(t, src, 8*2+3, 40)
	if len(munros) != 2 {
		t.Fatalf("%d munros", len(munros))
	}
	for _, primary := range munros {
		i := primary.Start
		rfc := mustSigned(t, src.SignedMunroFor, i, FormRFC)
		lsw := mustSigned(t, src.SignedMunroFor, i+3, FormLibswift)
		if same, _ := src.SignedMunro(i); !bytes.Equal(same.Signature, primary.Signature) || !bytes.Equal(rfc.Signature, primary.Signature) {
			t.Fatalf("munro %d: AddChunk, SignedMunro and the RFC form disagree", i)
		}
		if lsw.Start != rfc.Start || lsw.End != rfc.End || !bytes.Equal(lsw.Hash, rfc.Hash) {
			t.Fatalf("munro %d: forms cover %d-%d and %d-%d", i, rfc.Start, rfc.End, lsw.Start, lsw.End)
		}
		signedAt := t0.Add(time.Duration(primary.End) * time.Millisecond)
		if !FormLibswift.Time(lsw.Timestamp).Equal(signedAt) || !FormRFC.Time(rfc.Timestamp).Round(time.Microsecond).Equal(signedAt) {
			t.Fatalf("munro %d: timestamps %#x (rfc) and %#x (libswift), want %v", i, rfc.Timestamp, lsw.Timestamp, signedAt)
		}
		for _, c := range []struct {
			sm     SignedMunro
			f      Form
			verify bool
		}{{rfc, FormRFC, true}, {lsw, FormLibswift, true}, {rfc, FormLibswift, false}, {lsw, FormRFC, false}} {
			if err := VerifyMunroSignature(pub, c.f, DefaultAddressing, c.sm); (err == nil) != c.verify {
				t.Errorf("munro %d checked in %v form: %v", i, c.f, err)
			}
		}
	}
	for _, f := range []Form{FormRFC, FormLibswift} {
		if _, err := src.SignedMunroFor(17, f); !errors.Is(err, ErrNotReady) {
			t.Fatalf("unsigned tail in %v form: %v", f, err)
		}
	}
	if _, err := src.SignedMunroFor(0, Form(7)); !errors.Is(err, ErrNoForm) {
		t.Fatalf("unknown form: %v", err)
	}
}

// TestSourceOneForm: a source configured with Form alone signs in that form only.
func TestSourceOneForm(t *testing.T) {
	src, _ := pair(t, livesig.Ed25519, FormLibswift, 4, Unlimited)
	feed(t, src, 4, 10)
	mustSigned(t, src.SignedMunroFor, 0, FormLibswift)
	if _, err := src.SignedMunroFor(0, FormRFC); !errors.Is(err, ErrNoForm) {
		t.Fatalf("unconfigured form: %v", err)
	}
}

func TestSourceFormsConfig(t *testing.T) {
	k := keyFor(t, livesig.Ed25519)
	base := SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: 4, Addressing: DefaultAddressing}
	for name, c := range map[string]struct {
		form  Form
		forms []Form
	}{
		"primary not listed": {FormRFC, []Form{FormLibswift}},
		"unknown primary":    {Form(2), nil},
		"unknown in list":    {FormRFC, []Form{FormRFC, Form(9)}},
	} {
		cfg := base
		cfg.Form, cfg.Forms = c.form, c.forms
		if _, err := NewSource(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// libswift primary, RFC second, listed twice: both forms, AddChunk gives libswift's.
	cfg := base
	cfg.Form, cfg.Forms = FormLibswift, []Form{FormRFC, FormLibswift, FormRFC}
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sm := feed(t, src, 4, 10)[0]
	if err := VerifyMunroSignature(k.Public(), FormLibswift, DefaultAddressing, sm); err != nil {
		t.Fatalf("primary form: %v", err)
	}
	if err := VerifyMunroSignature(k.Public(), FormRFC, DefaultAddressing, mustSigned(t, src.SignedMunroFor, 0, FormRFC)); err != nil {
		t.Fatalf("second form: %v", err)
	}
	if len(src.forms) != 2 {
		t.Fatalf("forms %v", src.forms)
	}
}

// TestVerifierBothForms: a verifier fed one munro in each form accepts both and the chunks
// under them, forwards each only in the form it received, and keeps both forms once the
// same munro arrives in the other one.
func TestVerifierBothForms(t *testing.T) {
	src, v := bothForms(t, FormRFC, 8)
	feed(t, src, 16, 40)
	now := t0.Add(time.Second)
	lsw0 := mustSigned(t, src.SignedMunroFor, 0, FormLibswift)
	rfc1 := mustSigned(t, src.SignedMunroFor, 8, FormRFC)
	if isNew, err := v.AddSignedMunroAs(lsw0, FormLibswift, now); err != nil || !isNew {
		t.Fatalf("munro 0 in libswift form: %v %v", isNew, err)
	}
	if isNew, err := v.AddSignedMunro(rfc1, now); err != nil || !isNew { // the configured form
		t.Fatalf("munro 1 in RFC form: %v %v", isNew, err)
	}
	for i := uint64(0); i < 16; i++ {
		u, _ := src.Uncles(i)
		if err := v.VerifyChunk(i, chunk(i, 40), u); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	if e, _ := v.Edge(); e != 15 {
		t.Fatalf("edge %d", e)
	}

	// Forwarding: each munro only in the form it came in.
	if got := mustSigned(t, v.SignedMunroFor, 3, FormLibswift); !bytes.Equal(got.Signature, lsw0.Signature) || got.Timestamp != lsw0.Timestamp {
		t.Fatal("munro 0 forwarded with another signature")
	}
	if got := mustSigned(t, v.SignedMunroFor, 9, FormRFC); !bytes.Equal(got.Signature, rfc1.Signature) {
		t.Fatal("munro 1 forwarded with another signature")
	}
	if _, err := v.SignedMunroFor(3, FormRFC); !errors.Is(err, ErrNoForm) {
		t.Fatalf("munro 0 in RFC form: %v", err)
	}
	if _, err := v.SignedMunro(3); !errors.Is(err, ErrNoForm) { // configured form is RFC
		t.Fatalf("munro 0 in the configured form: %v", err)
	}
	if _, err := v.SignedMunroFor(9, FormLibswift); !errors.Is(err, ErrNoForm) {
		t.Fatalf("munro 1 in libswift form: %v", err)
	}
	if _, err := v.SignedMunroFor(9, Form(5)); !errors.Is(err, ErrNoForm) {
		t.Fatalf("unknown form: %v", err)
	}

	// A signature claimed in the wrong form does not verify and adds nothing.
	if _, err := v.AddSignedMunroAs(lsw0, FormRFC, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("libswift signature as RFC: %v", err)
	}
	if _, err := v.AddSignedMunroAs(rfc1, FormLibswift, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("RFC signature as libswift: %v", err)
	}
	if _, err := v.SignedMunroFor(3, FormRFC); !errors.Is(err, ErrNoForm) {
		t.Fatalf("a failed signature was kept: %v", err)
	}
	if _, err := v.AddSignedMunroAs(lsw0, Form(3), now); err == nil {
		t.Fatal("unknown form accepted")
	}

	// Munro 0 validly signed in RFC form too, long after: kept (the edge does not move,
	// so no MaxAge check), not new; both forms now forwardable.
	rfc0 := mustSigned(t, src.SignedMunroFor, 0, FormRFC)
	late := t0.Add(DefaultMaxAge + time.Hour)
	if isNew, err := v.AddSignedMunroAs(rfc0, FormRFC, late); err != nil || isNew {
		t.Fatalf("munro 0 in its second form: %v %v", isNew, err)
	}
	if got := mustSigned(t, v.SignedMunroFor, 0, FormRFC); !bytes.Equal(got.Signature, rfc0.Signature) {
		t.Fatal("second form not kept")
	}
	if got := mustSigned(t, v.SignedMunroFor, 0, FormLibswift); !bytes.Equal(got.Signature, lsw0.Signature) {
		t.Fatal("first form lost")
	}
	for _, f := range []Form{FormRFC, FormLibswift} {
		sm := mustSigned(t, src.SignedMunroFor, 0, f)
		if isNew, err := v.AddSignedMunroAs(sm, f, late); err != nil || isNew {
			t.Fatalf("repeat in %v form: %v %v", f, isNew, err)
		}
	}
	if !v.Have(5) || v.Munros() != 2 {
		t.Fatalf("have 5: %v, %d munros", v.Have(5), v.Munros())
	}

	// A relay's forwarded munro and uncles satisfy a downstream peer of that form.
	down, err := NewVerifier(VerifierConfig{Key: keyFor(t, livesig.ECDSAP256SHA256).Public(), Hash: hashtree.SHA1, Form: FormLibswift, Addressing: DefaultAddressing, MaxAge: DefaultMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.AddSignedMunro(mustSigned(t, v.SignedMunroFor, 2, FormLibswift), now); err != nil {
		t.Fatalf("downstream: %v", err)
	}
	u, _ := v.Uncles(2)
	if err := down.VerifyChunk(2, chunk(2, 40), u); err != nil {
		t.Fatalf("downstream chunk: %v", err)
	}
}

// TestVerifierFormResigned: a second form over another hash for a held range (another
// stream under the same key) is refused and does not replace the trusted hash.
func TestVerifierFormResigned(t *testing.T) {
	src1, v := bothForms(t, FormLibswift, 4)
	src2, _ := bothForms(t, FormLibswift, 4)
	feed(t, src1, 4, 10)
	if _, _, err := src2.AddChunk([]byte("another stream"), t0); err != nil {
		t.Fatal(err)
	}
	feed(t, src2, 3, 10)
	if _, err := v.AddSignedMunro(mustSigned(t, src1.SignedMunroFor, 0, FormLibswift), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddSignedMunroAs(mustSigned(t, src2.SignedMunroFor, 0, FormRFC), FormRFC, t0); !errors.Is(err, ErrBadMunro) {
		t.Fatalf("other hash in the other form: %v", err)
	}
	if _, err := v.SignedMunroFor(0, FormRFC); !errors.Is(err, ErrNoForm) {
		t.Fatalf("refused form kept: %v", err)
	}
}

// TestVerifierStaleUsesItsForm: MaxAge reads the timestamp in the form the munro came in,
// whatever the configured form. Read in the other form, a stale timestamp would look like a
// date in the future and pass.
func TestVerifierStaleUsesItsForm(t *testing.T) {
	late := t0.Add(DefaultMaxAge + time.Minute)
	for _, c := range []struct{ configured, sent Form }{{FormRFC, FormLibswift}, {FormLibswift, FormRFC}} {
		src, v := bothForms(t, c.configured, 4)
		feed(t, src, 4, 10)
		sm := mustSigned(t, src.SignedMunroFor, 0, c.sent)
		if _, err := v.AddSignedMunroAs(sm, c.sent, late); !errors.Is(err, ErrStale) {
			t.Errorf("%v munro on a %v verifier, stale: %v", c.sent, c.configured, err)
		}
		if _, err := v.AddSignedMunroAs(sm, c.sent, t0.Add(time.Second)); err != nil {
			t.Errorf("%v munro on a %v verifier, fresh: %v", c.sent, c.configured, err)
		}
	}
}

func TestVerifierUnknownForm(t *testing.T) {
	k := keyFor(t, livesig.Ed25519)
	if _, err := NewVerifier(VerifierConfig{Key: k.Public(), Hash: hashtree.SHA1, Form: Form(2), Addressing: DefaultAddressing}); err == nil {
		t.Fatal("unknown form accepted")
	}
}
