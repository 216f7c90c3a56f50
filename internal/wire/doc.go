// Package wire is the codec of RFC 7574 (PPSPP) datagrams: the 4-byte destination channel
// ID followed by messages back to back, with no per-message length (RFC 7574 §8.2).
//
// How long a message is depends on what the channel's handshake negotiated: the chunk
// addressing method fixes the size of a chunk specification, the Merkle hash function the
// size of an INTEGRITY hash, the live signature algorithm (and key) the size of a
// SIGNED_INTEGRITY signature. That state travels in a Context. Decoding a HANDSHAKE updates
// the Context so that the rest of the same datagram decodes as the handshake says.
//
// Encoders append to a caller's buffer and allocate nothing. Decoders never panic, never
// allocate in proportion to a length field, alias the input for byte fields (hashes, chunk
// payloads, swarm IDs), and return *DecodeError values that wrap one of the sentinel errors
// below, so that callers can count drops by reason with errors.Is.
//
// The package uses only the standard library and internal/bins; it has no I/O and no state.
package wire
