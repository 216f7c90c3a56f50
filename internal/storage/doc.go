// Package storage keeps one swarm's content on disk together with a checkpoint of what we
// verified, and hands out only bytes that verify against the swarm's root hash.
//
// # Files
//
//   - the content file (Options.ContentPath), preallocated sparse when the size is known
//     and never longer than the content (length.go); Open writes into an existing one only
//     when it is provably this swarm's, or with Options.Force (ownership.go); a read-only
//     store (Seed, Options.ReadOnly) never changes it;
//   - our checkpoint (Options.CheckpointPath, default ContentPath + ".ppsppd"): which
//     chunks are verified, plus the hashes learned, in the format below;
//   - libswift's NAME.mhash (Options.MhashPath, default ContentPath + ".mhash"), read only,
//     so content that libswift seeded can be seeded without hashing it again.
//
// A seed may read its content from an Options.Content source instead of one file (a
// multi-file swarm's spec and files, internal/multifile); it is then read-only like any
// seed, and everything below applies unchanged.
//
// # Trust
//
// Nothing read from disk is believed without a check against the root hash (the swarm
// ID, RFC 7574 §5.1):
//
//   - Checkpoint hashes are recomputed bottom-up to the root when loaded (one small hash
//     per inner node, no content read); a checkpoint that is torn, truncated, fails its
//     CRC, has another version, root or shape, or does not hash up to the root is dropped
//     as a whole, and Open falls back as below.
//   - ReadAt hashes each chunk it returns against the chunk's leaf hash, so a content file
//     changed behind our back (bit flips, truncation) yields an error, never a wrong byte;
//     the chunk is then marked missing, to be fetched again. The exception is a chunk this
//     process checked since the file was last seen unchanged (below).
//   - Chunks present in the content file but not marked verified in the checkpoint (written
//     after the last checkpoint) are re-verified at Open when their hashes are known, and
//     otherwise stay unverified.
//   - A libswift .mhash is checked completely at Open: its leaf hashes are combined up to
//     the root (no content read). The content is then verified lazily: each chunk on its
//     first read (or all of them in VerifyPending), and only then counts as verified.
//     Chunks still unchecked are not recorded in the checkpoint, so the next Open
//     verifies them like any other unrecorded content (once, on all cores).
//   - Without a usable checkpoint or .mhash, Open rehashes the content file (all cores) and
//     accepts it only if it reproduces the root hash; otherwise it starts empty, which for
//     a non-empty file needs Options.Force unless our checkpoint names this swarm
//     (ownership.go). A download that starts empty writes its checkpoint at once.
//   - Chunks enter only through PutChunk, which verifies them with the hash tree first.
//
// # Checked chunks
//
// A chunk this process hashed (on a read, at Open or in Seed) or wrote itself after PutChunk
// verified it is checked, and is read without hashing while the content file is provably
// unchanged since (identity.go). A read of 16 KiB or more fstats the open file first and
// compares its identity (device, inode, size, modification time and, on Linux, status
// change time) with the one captured; any difference forgets every checked chunk, so each
// is hashed again on its next read. Our own writes and truncates look before (a difference
// then is someone else's) and capture the identity after. While the path names another file
// than the one open (a rename replaced it), checked chunks are not used at all. Nothing
// checked survives a restart. Reads shorter than 16 KiB always hash (one fstat costs about
// as much). What this cannot see:
//
//   - a change made between a read's fstat and its pread (or, for our own writes, during
//     the write): that one read may return those bytes unhashed; the next read sees the
//     new identity;
//   - a change that leaves the identity as it was: off Linux, a rewrite in place that keeps
//     size and modification time (touch -r). On Linux the status change time, which nobody
//     can set, catches that, except where timestamps are too coarse to tell apart two
//     changes in the same tick (a few milliseconds; since Linux 6.13 ext4, xfs, btrfs and
//     tmpfs refine a timestamp that was read since the last change, so after our fstat the
//     next change always shows);
//   - changes that do not go through the file system (writes to the block device, media
//     errors that return wrong data instead of an error).
//
// The bytes sent to a peer are checked again by that peer (RFC 7574 §5), so what these
// limits risk is a wrong byte to an HTTP or CMD gateway client.
//
// # Checkpoint format, version 2
//
// All integers big-endian (as on the PPSPP wire). N is the chunk count, H the hash size,
// top = ceil(log2 N) the root's layer: the tree is padded to 2^top leaves (RFC 7574 §5.1).
//
//	offset  size  field
//	0       8     magic "PPSPPDCK"
//	8       2     format version = 2 (version 1 is still read, see below)
//	10      1     hash function, RFC 7574 §7.6 code (0 SHA-1 … 4 SHA-512)
//	11      1     flags: bit 0 = content size known; other bits zero
//	12      4     chunk size in bytes
//	16      8     content size in bytes (0 when unknown)
//	24      8     chunk count N (0 when unknown, i.e. no peaks verified yet)
//	32      8     number of verified chunks (= set bits of the bitmap)
//	40      8     payload length P
//	48      H     root hash (swarm ID)
//	48+H    P     payload:
//	                verified-chunk bitmap, ceil(N/8) bytes: chunk i is bit 1<<(i%8)
//	                  of byte i/8; bits past N are zero
//	                known hashes (nothing when N is unknown), hashtree.FrontierEdge
//	                  encoding, the known nodes whose children are unknown, from which
//	                  every other known hash is recomputed:
//	                  filled bitmap, ceil((2N−1)/8) bytes: bin b (b < 2N−1, a node
//	                    all of whose chunks exist) is bit 1<<(b%8) of byte b/8
//	                  edge bitmap, ceil((top+1)/8) bytes: bit 1<<(l%8) of byte l/8 is
//	                    the node at layer l that covers chunk N−1 and padding, bin
//	                    (l, (N−1)>>l); only layers 0 < l < top with N mod 2^l ≠ 0
//	                  the H-byte hashes of the filled bins set, in ascending bin order,
//	                    then of the edge nodes set, in ascending layer order
//	48+H+P  4     CRC-32C (Castagnoli) of all bytes before it
//
// The root is never among the hashes (it is the swarm ID), nor is a node covering only
// padding (all zero, §5.1).
//
// Version 1 is the same without the edge bitmap and edge hashes (hashtree.FrontierFilled).
// It could not record the edge nodes a seeder sends as uncles before the last chunk
// arrives (for 9 chunks, chunks 8…15 is the uncle of chunks 0…7), so a download of a
// chunk count that is not a power of two without its last chunk did not restore from it
// and started over. Version 1 files are still read: those that restored before restore
// the same; the others still fail the check against the root and Open falls back as
// above. Every checkpoint written now is version 2.
//
// The file is replaced atomically: written to a temporary file in the same directory,
// fsynced, renamed over the old one, and the directory fsynced. The content file is
// fsynced first, so a checkpoint never claims chunks that are not on disk.
//
// # Layer file (hashes on demand), version 1
//
// A store opened or seeded with Options.OnDemandHashes (a complete read-only seed of one
// file, or of a FileSource's files) keeps its tree in Options.LayersPath (default CheckpointPath + ".layers") instead of
// memory and writes no checkpoint. Integers big-endian, H the hash size:
//
//	offset  size  field
//	0       8     magic "PPSPPDHL"
//	8       2     version = 1
//	10      1     hash function, RFC 7574 §7.6 code
//	11      1     zero
//	12      4     chunk size in bytes
//	16      8     content size in bytes
//	24      8     content file's device number  \
//	32      8     content file's inode number    | its identity when it was hashed
//	40      8     modification time, ns         |  (device and inode 0 off Linux,
//	48      8     status change time, ns        /   status change time too)
//	              (for a FileSource, offsets 24…55 hold a SHA-256 digest of every file's
//	              path and identity instead: layers_identity.go)
//	56      H     root hash (swarm ID)
//	56+H    4     CRC-32C (Castagnoli) of the bytes before it
//	60+H    2N·H  every hash of the tree in libswift's .mhash layout: the hash of bin b at
//	              60+H+b·H; nodes that cover padding, and bin 2N−1, all zero
//
// It is written to a temporary file, synced and renamed into place. At Open the header must
// match the swarm (hash, chunk size, root, size) and the content file's identity now; the
// nodes on the tree's right edge are recomputed from the file and must lead to the root. Any
// mismatch, a changed identity included, makes Open hash the content file again (in segments,
// without holding the tree) into a new layer file, and fail with ErrContentChanged when it no
// longer gives the root. The other hashes are read on demand, a page (256 hashes) at a time,
// and every page is checked against the root before any of its hashes is used (hashtree's
// ondisk_verify.go): a page that fails is never used (ErrCorruptLayers: the chunk is not
// served, no uncle from it is sent) and the layer file is removed at once, so the next Open
// hashes the content again. A chunk that fails its read check removes the layer file at the
// next Checkpoint (or Close) the same way.
//
// A layer file is also made without hashing the content (layers_adopt.go): from libswift's
// .mhash, when there is no layer file and the .mhash is not older than the content file
// (its hashes copied behind the header, every page then checked against the root once; the
// chunks, never hashed here, are checked as they are first read), and by Store.SaveLayers
// from a completed download's verified tree.
//
// # Errors
//
// A failed write, sync or checkpoint (disk full, file too large, I/O error) puts the store
// in an error state: Err reports the cause, later writes and checkpoints return it, and
// reads of verified chunks still work. Other stores are not affected.
package storage
