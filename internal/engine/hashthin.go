package engine

import (
	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// hashCopies is how many datagrams carry an uncle hash before the hash counts as held by
// the peer: with one, a single lost datagram would leave every later chunk under the same
// uncle unverifiable until the loss is detected; with two, both must be lost.
const hashCopies = 2

// sentHashes is the short memory of §5.3's option to skip hashes already sent and not yet
// acknowledged. A window of DATA is thousands of chunks, all sent before the first of them
// is acknowledged; the chunks under one tree node all need that node's sibling, so judging
// by ACKs alone sends the same hashes with nearly every chunk (a third more bytes than the
// content on loopback). Per layer it remembers the last uncle sent and in how many
// datagrams; a hash sent hashCopies times counts as held, until a DATA is lost (then all
// is forgotten, since the lost datagram may have carried hashes later chunks rely on). Chunks
// are mostly sent in order, so one uncle per layer is what matters.
type sentHashes struct {
	last [bins.MaxLayer + 1]sentHash
	lean leanHashes
}

type sentHash struct {
	bin    bins.Bin
	copies uint8 // datagrams it went out in, up to hashCopies
}

// Knows implements hashtree.Known.
func (s *sentHashes) Knows(b bins.Bin) bool {
	l := b.Layer()
	return l < uint(len(s.last)) && s.last[l].bin == b && s.last[l].copies >= hashCopies
}

// note records that the hash of b goes out in one more datagram.
func (s *sentHashes) note(b bins.Bin) {
	l := b.Layer()
	if l >= uint(len(s.last)) {
		return
	}
	if e := &s.last[l]; e.bin == b && e.copies > 0 {
		e.copies = min(e.copies+1, hashCopies)
	} else {
		*e = sentHash{bin: b, copies: 1}
	}
}

// datagramHashes is how many hashes a DATA datagram has room for besides its chunk: what
// dataOverhead counts, and what a chunk too big for MaxDatagram takes along (send.go).
const datagramHashes = 8

// How many hashes a DATA datagram carries at least when there are that many the peer has
// not acknowledged (hashes that sentHashes would leave out fill the room): in order, a chunk
// needs about three that are not yet known (its sibling's, and its share of those above, each
// sent hashCopies times), and a floor of keptHashes costs nothing beyond them. When a flush
// has room for gsoBurst datagrams or more the floor is datagramHashes instead: then nearly all
// of them have the same size, go out in one GSO send and arrive in one GRO read (ppsppd bench
// on loopback: a fifth less CPU per GiB than with the low floor); on a path that loses or
// reorders, the extra copies of the lower uncles may also let a chunk verify whose earlier
// copies were lost or overtaken. But a slow channel that loses nothing (lean, hashlean.go)
// keeps the low floor and sends lean hashes: there the system calls cost little and the bytes
// a lot (with 1 KiB chunks eight hashes in every datagram were a fifth of a 20 Mbit/s link,
// issue 17), and the copies protect against nothing. A fast window (fastWindowRate,
// sendcongestion.go) keeps the high floor for GSO even when lean. So nothing changed for
// channels that lose: they pad as before.
const (
	keptHashes = 2
	gsoBurst   = 4
)

// thin leaves out of uncles (highest layer first, as hashtree.Uncles orders them) the hashes
// recently sent twice, but keeps up to floor of them, the lowest layers first, and records
// what stays as sent. It works in place.
func (s *sentHashes) thin(uncles []hashtree.NodeHash, floor int) []hashtree.NodeHash {
	const maxKeep = 64 + bins.MaxLayer + 1
	if len(uncles) <= floor || len(uncles) > maxKeep {
		for _, u := range uncles {
			s.note(u.Bin)
		}
		return uncles
	}
	var keep [maxKeep]bool
	kept := 0
	for k, u := range uncles {
		if !s.Knows(u.Bin) {
			keep[k] = true
			kept++
		}
	}
	for k := len(uncles) - 1; k >= 0 && kept < floor; k-- {
		if !keep[k] {
			keep[k] = true
			kept++
		}
	}
	out := uncles[:0]
	for k, u := range uncles {
		if keep[k] {
			s.note(u.Bin)
			out = append(out, u)
		}
	}
	return out
}

// forget drops the memory, after a loss (or a REQUEST that shows one): the next DATA carry
// every hash the peer's HAVEs and ACKs do not cover, each hashCopies times.
func (s *sentHashes) forget() {
	lean := s.lean.lost()
	*s = sentHashes{lean: lean}
}
