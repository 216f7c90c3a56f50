package livesig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range Algs {
		t.Run(alg.String(), func(t *testing.T) {
			k := keyFor(t, alg)
			path := filepath.Join(dir, alg.String()+".pem")
			if err := WriteKeyFile(path, k); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %04o", fi.Mode().Perm())
			}
			var warned []error
			got, err := ReadKeyFile(path, func(err error) { warned = append(warned, err) })
			if err != nil {
				t.Fatal(err)
			}
			if len(warned) != 0 {
				t.Fatalf("warned about a 0600 file: %v", warned)
			}
			if got.Alg() != alg || !got.Public().Equal(k.Public()) {
				t.Fatalf("read back %v key %x", got.Alg(), got.Public().SwarmID())
			}
			// The key read back signs what the original verifies.
			sig, err := got.Sign([]byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Public().Verify([]byte("x"), sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWriteKeyFileRefusesOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := WriteKeyFile(path, keyFor(t, Ed25519))
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("overwrite: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious" {
		t.Fatalf("file changed to %q", b)
	}
}

func TestReadKeyFileWarnsLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := WriteKeyFile(path, keyFor(t, ECDSAP256SHA256)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var warned error
	k, err := ReadKeyFile(path, func(err error) { warned = err })
	if err != nil || k == nil {
		t.Fatalf("a loose mode must only warn: %v", err)
	}
	if !errors.Is(warned, ErrKeyFileMode) {
		t.Fatalf("warning: %v", warned)
	}
	if _, err := ReadKeyFile(path, nil); err != nil {
		t.Fatal(err)
	}
}

// TestParseKeyFileLibswiftForm reads bare PKCS#8 PEM, what libswift's -K writes: the
// algorithm follows from the key (RSA means RSASHA1, as libswift assumes).
func TestParseKeyFileLibswiftForm(t *testing.T) {
	for alg, want := range map[Alg]Alg{ECDSAP256SHA256: ECDSAP256SHA256, ECDSAP384SHA384: ECDSAP384SHA384, Ed25519: Ed25519, RSASHA256: RSASHA1} {
		der, err := x509.MarshalPKCS8PrivateKey(keyFor(t, alg).signer)
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseKeyFile(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil {
			t.Fatal(err)
		}
		if k.Alg() != want {
			t.Errorf("%v key read as %v, want %v", alg, k.Alg(), want)
		}
	}
	// SEC 1 and PKCS#1, as older OpenSSL tools write them.
	sec1, err := x509.MarshalECPrivateKey(keyFor(t, ECDSAP384SHA384).signer.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := ParseKeyFile(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})); err != nil || k.Alg() != ECDSAP384SHA384 {
		t.Errorf("SEC 1 key: %v", err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(keyFor(t, RSASHA256).signer.(*rsa.PrivateKey))
	if k, err := ParseKeyFile(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1})); err != nil || k.Alg() != RSASHA1 {
		t.Errorf("PKCS#1 key: %v", err)
	}
}

func TestParseKeyFileRejects(t *testing.T) {
	good, err := x509.MarshalPKCS8PrivateKey(keyFor(t, ECDSAP256SHA256).signer)
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, b []byte, h map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b, Headers: h})
	}
	for name, data := range map[string][]byte{
		"empty":        nil,
		"not PEM":      []byte("hello"),
		"public key":   block("PUBLIC KEY", good, nil),
		"garbage DER":  block("PRIVATE KEY", []byte{0x30, 0x03, 1, 2, 3}, nil),
		"encrypted":    block("PRIVATE KEY", good, map[string]string{"Proc-Type": "4,ENCRYPTED"}),
		"bad alg line": append([]byte(algLinePrefix+"99 (x)\n"), block("PRIVATE KEY", good, nil)...),
		"alg mismatch": append([]byte(algLinePrefix+"15 (ed25519)\n"), block("PRIVATE KEY", good, nil)...),
	} {
		if _, err := ParseKeyFile(data); !errors.Is(err, ErrBadKeyFile) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadKeyFile(filepath.Join(t.TempDir(), "missing"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte{'a'}, maxKeyFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKeyFile(big, nil); !errors.Is(err, ErrBadKeyFile) {
		t.Errorf("large file: %v", err)
	}
}
