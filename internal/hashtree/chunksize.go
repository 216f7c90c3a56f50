package hashtree

import "fmt"

// MaxChunkSize is the largest chunk size ppsppd accepts anywhere (command line, configuration,
// tswift URLs, the swarm manager). A chunk travels whole in one DATA message, in one UDP
// datagram (RFC 7574 §8.1), and a peer reads datagrams into buffers of a fixed size: a
// bigger chunk would be cut on the way in and never verify. internal/node sizes its read
// buffer from this constant plus MaxDataDatagramOverhead.
const MaxChunkSize = 16 << 10

// MaxDataDatagramOverhead bounds what rides with a chunk in its datagram: the channel ID
// (4 bytes), the DATA header (1 + 16-byte chunk spec + 8-byte timestamp) and the up to 8
// INTEGRITY messages the engine puts before it (each 1 + 16 + a SHA-512 hash of 64 bytes),
// rounded up.
const MaxDataDatagramOverhead = 1024

// CheckChunkSize is the one chunk size rule: 1 to MaxChunkSize bytes. Callers wrap the
// error with the setting's name and value ("--chunk-size 65536: ...").
func CheckChunkSize(n uint64) error {
	if n < 1 || n > MaxChunkSize {
		return fmt.Errorf("a chunk size is 1 to %d bytes (a chunk must fit one UDP datagram)", MaxChunkSize)
	}
	return nil
}
