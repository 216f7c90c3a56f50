package livesig

import (
	"bytes"
	"errors"
	"testing"
)

func TestParseSwarmIDRejects(t *testing.T) {
	good := mustHex(t, libswiftSwarmID)
	offCurve := bytes.Clone(good)
	offCurve[len(offCurve)-1] ^= 1 // Y no longer matches X
	rsaID := keyFor(t, RSASHA256).Public().SwarmID()
	withLeadingZeroExp := append([]byte{byte(RSASHA256), 4, 0, 1, 0, 1}, rsaID[5:]...)
	longForm := append([]byte{byte(RSASHA256), 0, 0, 3}, rsaID[2:]...)
	evenExp := bytes.Clone(rsaID)
	evenExp[4] = 2 // exponent 0x010002
	small := append([]byte{byte(RSASHA1), 3, 1, 0, 1}, bytes.Repeat([]byte{0xff}, 64)...)
	cases := map[string]struct {
		id   []byte
		want error
	}{
		"empty":              {nil, ErrBadSwarmID},
		"algorithm only":     {[]byte{13}, ErrBadSwarmID},
		"unknown algorithm":  {append([]byte{3}, good[1:]...), ErrUnknownAlgorithm},
		"SHA-1 root hash":    {bytes.Repeat([]byte{0xab}, 20), ErrUnknownAlgorithm},
		"P-256 short":        {good[:64], ErrBadSwarmID},
		"P-256 long":         {append(bytes.Clone(good), 0), ErrBadSwarmID},
		"P-256 off curve":    {offCurve, ErrBadSwarmID},
		"P-256 as P-384":     {append([]byte{14}, good[1:]...), ErrBadSwarmID},
		"P-256 zero point":   {append([]byte{13}, make([]byte, 64)...), ErrBadSwarmID},
		"Ed25519 short":      {append([]byte{15}, make([]byte, 31)...), ErrBadSwarmID},
		"RSA no modulus":     {[]byte{8, 3, 1, 0, 1}, ErrBadSwarmID},
		"RSA cut exponent":   {[]byte{8, 3, 1}, ErrBadSwarmID},
		"RSA cut long form":  {[]byte{8, 0, 1}, ErrBadSwarmID},
		"RSA exp zero lead":  {withLeadingZeroExp, ErrBadSwarmID},
		"RSA long form":      {longForm, ErrBadSwarmID},
		"RSA even exponent":  {evenExp, ErrBadSwarmID},
		"RSA 512-bit":        {small, ErrBadSwarmID},
		"RSA huge exponent":  {append([]byte{8, 5, 1, 0, 0, 0, 1}, rsaID[5:]...), ErrBadSwarmID},
		"RSA modulus lead 0": {append(bytes.Clone(rsaID[:5]), append([]byte{0}, rsaID[5:]...)...), ErrBadSwarmID},
		"too long":           {append([]byte{8}, make([]byte, MaxSwarmIDLen)...), ErrBadSwarmID},
	}
	for name, c := range cases {
		if _, err := ParseSwarmID(c.id); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

// TestRSAKeyFieldForm checks the RFC 3110 layout byte by byte for an exponent of 65537.
func TestRSAKeyFieldForm(t *testing.T) {
	id := keyFor(t, RSASHA1).Public().SwarmID()
	if !bytes.Equal(id[:5], []byte{byte(RSASHA1), 3, 1, 0, 1}) {
		t.Fatalf("swarm ID starts % x", id[:5])
	}
	if len(id[5:]) != DefaultRSABits/8 || id[5]&0x80 == 0 {
		t.Fatalf("modulus %d bytes, top byte %#x", len(id[5:]), id[5])
	}
}
