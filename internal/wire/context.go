package wire

import (
	"bytes"
	"fmt"
)

// Context is what a channel's handshake fixed and the codec needs to know message lengths.
// The zero value is not useful; start from DefaultContext (the RFC's defaults) and let
// handshakes refine it with Apply.
type Context struct {
	Addressing Addressing
	Integrity  IntegrityMethod
	Hash       HashFunc
	// ChunkSize is the fixed chunk size, when known (from option 9 or from swarm metadata
	// such as a tswift URL); 0 when unknown and VariableChunkSize for variable chunks. With a
	// fixed size a DATA message spans its chunks' bytes, so several can share a datagram
	// (RFC 7574 §8.6); otherwise DATA runs to the end of the datagram.
	ChunkSize uint32
	// SwarmID is the swarm's ID as the handshake carried it; for live swarms it is the
	// public key that fixes RSA signature lengths.
	SwarmID []byte
	SigAlg  SigAlg

	hashExplicit bool // option 4 was seen, so an integrity option does not reset Hash
}

// DefaultContext returns the RFC 7574 defaults (§7.5, §7.6, §7.8): Merkle hash tree, SHA-256,
// 32-bit chunk ranges, chunk size unknown.
func DefaultContext() Context {
	return Context{Addressing: ChunkRange32, Integrity: IntegrityMerkle, Hash: SHA256}
}

// HashSize is the length of an INTEGRITY hash on this channel.
func (c *Context) HashSize() int { return c.Hash.Size() }

// SignatureSize is the length of a SIGNED_INTEGRITY signature on this channel, 0 if unknown.
func (c *Context) SignatureSize() int {
	var key []byte
	if len(c.SwarmID) > 1 && SigAlg(c.SwarmID[0]) == c.SigAlg {
		key = c.SwarmID[1:]
	}
	return c.SigAlg.SignatureSize(key)
}

// Apply refines c with the options a HANDSHAKE carried. Options absent from the list leave c
// as it was, so the reply's options merge onto the initiator's (libswift's reply omits the
// swarm ID, for one). It fails when an option names a method the codec cannot size.
func (c *Context) Apply(o *Options) error {
	if o.Has(OptAddressing) {
		if !o.Addressing.Known() {
			return fmt.Errorf("%w: chunk addressing %d", ErrBadValue, uint8(o.Addressing))
		}
		c.Addressing = o.Addressing
	}
	if o.Has(OptHashFunc) {
		if o.Hash.Size() == 0 {
			return fmt.Errorf("%w: merkle hash function %d", ErrBadValue, uint8(o.Hash))
		}
		c.Hash, c.hashExplicit = o.Hash, true
	}
	if o.Has(OptIntegrity) {
		c.Integrity = o.Integrity
		// RFC 7574 names no hash option for live trees (option 4 is for method 1); libswift
		// omits it there and hashes with SHA-1, so that is what an unnamed live hash means.
		if !c.hashExplicit {
			c.Hash = SHA256
			if o.Integrity.IsLive() {
				c.Hash = SHA1
			}
		}
	}
	if o.Has(OptSwarmID) && !bytes.Equal(c.SwarmID, o.SwarmID) {
		c.SwarmID = bytes.Clone(o.SwarmID)
	}
	if o.Has(OptSigAlg) {
		c.SigAlg = o.SigAlg
	}
	if o.Has(OptChunkSize) {
		c.ChunkSize = o.ChunkSize
	}
	return nil
}
