package livesig

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A key file is one PEM "PRIVATE KEY" block (PKCS#8), what libswift's -K option reads and
// writes, preceded by one comment line naming the algorithm. PEM readers (OpenSSL's
// included) skip text before the block; the line matters only for RSA keys, which can sign
// as RSASHA1 or RSASHA256 and whose PKCS#8 form does not say which.
const (
	pemPrivateKey = "PRIVATE KEY"
	algLinePrefix = "# ppsppd live signing key, algorithm "
	// maxKeyFileSize is far above any PEM key file (a 4096-bit RSA key is about 3.3 KB)
	// and keeps a wrong path from reading a large file into memory.
	maxKeyFileSize = 64 << 10
)

// WriteKeyFile writes k to a new file at path with mode 0600. It never overwrites: if
// path exists it fails with an error wrapping fs.ErrExist, because a live stream's key is
// its identity and losing it orphans every link to the stream.
func WriteKeyFile(path string, k *PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(k.signer)
	if err != nil {
		return fmt.Errorf("encode %v key: %w", k.Alg(), err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s%d (%v); swarm ID %x\n", algLinePrefix, uint8(k.Alg()), k.Alg(), shortID(k.pub.swarmID))
	if err := pem.Encode(&buf, &pem.Block{Type: pemPrivateKey, Bytes: der}); err != nil {
		return fmt.Errorf("encode %v key: %w", k.Alg(), err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written key is worse than none
		return fmt.Errorf("write key file %s: %w", path, err)
	}
	return nil
}

// shortID keeps the comment line short for RSA keys; it is informative only.
func shortID(id []byte) []byte {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}

// ReadKeyFile loads a private key written by WriteKeyFile or by libswift (-K). A file that
// group or others may read still loads, since refusing would stop a running stream over a
// chmod; warn, when not nil, is called with an error wrapping ErrKeyFileMode instead.
//
// The algorithm comes from the file's comment line when there is one. Without it an EC key
// signs with the algorithm of its curve, an Ed25519 key with Ed25519, and an RSA key with
// RSASHA1, which is what libswift assumes for the RSA keys it writes.
func ReadKeyFile(path string, warn func(error)) (*PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadKeyFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && warn != nil {
		warn(fmt.Errorf("%w: %s has mode %04o; run chmod 600 on it", ErrKeyFileMode, path, perm))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadKeyFile, path, maxKeyFileSize)
	}
	k, err := ParseKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKeyFile decodes a key file's contents; see ReadKeyFile.
func ParseKeyFile(data []byte) (*PrivateKey, error) {
	alg, named, err := algFromComment(data)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrBadKeyFile)
	}
	signer, err := parsePrivateKeyBlock(block)
	if err != nil {
		return nil, err
	}
	if !named {
		if alg, err = defaultAlgFor(signer.Public()); err != nil {
			return nil, err
		}
	}
	k, err := newPrivateKey(alg, signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKeyFile, err)
	}
	return k, nil
}

// parsePrivateKeyBlock accepts PKCS#8, and the older SEC 1 and PKCS#1 forms that OpenSSL
// tools also write.
func parsePrivateKeyBlock(block *pem.Block) (crypto.Signer, error) {
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: encrypted or annotated PEM blocks are not supported", ErrBadKeyFile)
	}
	var key any
	var err error
	switch block.Type {
	case pemPrivateKey:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q, want %q", ErrBadKeyFile, block.Type, pemPrivateKey)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKeyFile, err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w: %T keys cannot sign live streams", ErrBadKeyFile, key)
}

// algFromComment finds the comment line WriteKeyFile puts before the PEM block.
func algFromComment(data []byte) (Alg, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----BEGIN") {
			break
		}
		rest, ok := strings.CutPrefix(line, algLinePrefix)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseUint(num, 10, 8)
		if err != nil || !Alg(n).Valid() {
			return 0, false, fmt.Errorf("%w: comment names algorithm %q", ErrBadKeyFile, num)
		}
		return Alg(n), true, nil
	}
	return 0, false, nil
}

// defaultAlgFor picks the algorithm for a key whose file does not name one.
func defaultAlgFor(pub crypto.PublicKey) (Alg, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256SHA256, nil
		case elliptic.P384():
			return ECDSAP384SHA384, nil
		}
		return 0, fmt.Errorf("%w: %s keys cannot sign live streams", ErrBadKeyFile, k.Curve.Params().Name)
	case ed25519.PublicKey:
		return Ed25519, nil
	case *rsa.PublicKey:
		return RSASHA1, nil
	}
	return 0, errors.New("unreachable: parsePrivateKeyBlock returned an unknown key type")
}
