// Package live holds the content-integrity side of live streaming (RFC 7574 §6): what a live
// injector signs, and how a peer checks chunks it receives before it keeps, plays or
// forwards them. It knows nothing of channels, sockets or storage; the engine feeds it chunk
// indexes, byte slices and times, and puts what it returns into INTEGRITY and
// SIGNED_INTEGRITY messages.
//
// Two methods (§6.1):
//
//   - Unified Merkle Tree (§6.1.2, option 3 value 3): the injector groups every
//     ChunksPerSig chunks (a power of two; libswift uses 32) into a subtree and signs only
//     the hash of its top node, the "munro". Source hashes chunks as they come and returns a
//     SignedMunro when a group completes; Verifier checks a munro's signature once and then
//     each chunk against its munro with the uncle hashes the sender put before the DATA.
//   - Sign All (§6.1.1, value 2): every chunk carries its own signature. SignChunk and
//     SignAllVerifier.
//
// What exactly is signed depends on the peer (Form): RFC 7574 signs the chunk spec as on the
// wire, a 64-bit NTP timestamp and the munro hash (or the chunk); libswift signs the munro
// hash alone and puts its microsecond clock, unsigned, in the timestamp field. A swarm may
// hold peers of both kinds: a Source can sign each munro in several forms
// (SourceConfig.Forms, SignedMunroFor), and a Verifier takes the form per munro
// (AddSignedMunroAs) and forwards a munro only in a form it received it in (SignedMunroFor).
//
// Window is the live discard window (§6.2, §7.9): both sides keep hashes only for the
// chunks inside it, so memory stays flat however long a stream runs.
//
// Sources and Verifiers are not safe for concurrent use; the engine's loop owns them.
package live
