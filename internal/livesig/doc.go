// Package livesig holds the public-key side of live streaming (RFC 7574 §6.1): the signature
// algorithms a live injector may use, key pairs, the swarm ID that names a live stream, and
// the byte forms of keys and signatures on the wire.
//
// A live swarm ID is the injector's public key: one byte of DNSSEC algorithm number followed
// by the key as the public-key field of a DNSKEY record, without base64 (§6.1, §7.4). The
// algorithms are those of the Live Signature Algorithm option (§7.7), numbered as DNSSEC
// numbers them:
//
//	 5 RSASHA1          RFC 3110 key (exponent length, exponent, modulus), PKCS#1 v1.5 signature
//	 8 RSASHA256        as 5, with SHA-256 (RFC 5702)
//	13 ECDSAP256SHA256  64-byte key X‖Y, 64-byte signature r‖s (RFC 6605)
//	14 ECDSAP384SHA384  96-byte key, 96-byte signature (RFC 6605)
//	15 ED25519          32-byte key, 64-byte signature (RFC 8080; registered after RFC 7574)
//
// RFC 7574 makes 5, 8, 13 and 14 mandatory to implement; libswift speaks 5, 13 and 14 and
// defaults to 13. A SIGNED_INTEGRITY message carries the signature in DNSSEC RRSIG form
// (§8.9), which is the fixed-size form above, never ASN.1.
//
// Private keys are kept in PEM files holding PKCS#8, the form libswift's -K option reads
// and writes (OpenSSL's PEM_write_PrivateKey), so a key made by either program works in the
// other.
//
// The package does no network I/O; parsing never trusts a length it has not checked.
package livesig
