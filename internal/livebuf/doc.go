// Package livebuf keeps the newest chunks of a live stream (RFC 7574 §6) for the readers
// that play it, such as the HTTP gateway.
//
// A Buffer is a ring of a fixed number of fixed-size chunk slots, allocated once, so its
// memory stays flat however long the stream runs: a new chunk evicts the oldest, which is
// what RFC 7574 §6.2's discard window asks of a live peer. The engine puts a chunk only
// once it has verified it against the source's signature, so a reader sees verified bytes
// only. Chunks may arrive out of order and with gaps (peers answer requests in any order,
// and a chunk may be lost upstream); a Reader waits for the next chunk of the stream, but
// skips one that is evidently lost rather than stalling the player forever.
//
// TSStart and Buffer.TuneIn pick where a player joining mid-stream should start: for
// MPEG-TS, at a packet boundary, preferably at a PAT (ISO/IEC 13818-1 §2.4.4.3), from
// which a demuxer finds the programs without waiting.
package livebuf
