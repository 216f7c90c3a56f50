// Package testpeer is an adversarial PPSPP peer for tests (issue 13). It speaks the wire
// format directly, without the engine, so that it can do what the engine never would: flip
// bytes of the chunks it serves, send wrong uncle or peak hashes, announce chunks it lacks,
// go silent, send DATA too long or too short, replay old datagrams, flood a seeder with
// REQUESTs, or open channels from many source ports.
//
// Each misbehaviour can be limited to the first send of some chunks (a re-request then gets
// the right bytes, the case libswift survives and ppsppd must) or be persistent. The peer is
// engine-shaped: (now, from, datagram) in, datagrams out, a next deadline for Tick, so the
// engine's simulation harness drives it on virtual time; Serve runs it on a real UDP socket.
// It counts what it received, so tests can assert how hard a victim pressed it.
package testpeer
