package swarmapi

import (
	"fmt"
	"strings"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Live swarms (RFC 7574 §6): a stream signed by its source, named by the source's public
// key, with no size and no end. They are never persisted: a source ends with the process
// that feeds it, and a peer joins again after a restart (the stream has moved on anyway).

// DefaultLiveChunkSize is a live stream's chunk size when none is given: libswift's.
const DefaultLiveChunkSize = 1024

// LiveSourceSpec says what live stream to inject: the manager derives the swarm ID from
// the key's public half (RFC 7574 §6.1) and returns a LiveInput to write the stream to.
type LiveSourceSpec struct {
	// Key signs the stream; whoever holds it can inject into the swarm.
	Key *livesig.PrivateKey
	// Method is the content integrity method (§6.1): wire.IntegrityUnifiedMHT (the
	// default, libswift's) or wire.IntegritySignAll; 0 means the default.
	Method wire.IntegrityMethod
	// ChunkSize is the stream's fixed chunk size in bytes; 0 means DefaultLiveChunkSize.
	ChunkSize int
	// Window is the live discard window in chunks (§6.2): what peers keep and serve
	// behind the live edge; 0 means the engine's default (engine.DefaultLiveWindow).
	Window uint64
	// ChunksPerSig is the Unified Merkle Tree's munro width (§6.1.2.1), a power of two;
	// 0 means libswift's 32. A chunk waits for its munro to fill before it is signed, so a
	// low bit rate may want fewer: at 1 Mbit/s of 1 KiB chunks 32 chunks take 260 ms.
	ChunksPerSig uint64
	// ResumeFile, when set, lets a source restarted with the same key number its chunks on
	// from where it stopped (peers still joined follow; see the swarms package's
	// live_resume.go). Empty: the stream starts at chunk 0, right for a new key.
	ResumeFile string
	// Name is for display (e.g. the input's file name).
	Name   string
	Limits Limits
}

// LiveJoinSpec says what live stream to join as a peer.
type LiveJoinSpec struct {
	// ID is the live swarm ID: the algorithm byte and the source's public key.
	ID ID
	// Peers are HOST:PORT to contact (the source, or any peer of the stream); with none,
	// peers come from AddPeers (PEERADDR, the DHT).
	Peers []string
	// ChunkSize, Method and Window as in LiveSourceSpec; they must match the source's
	// (the URL's $N or cs= gives the chunk size; libswift's defaults are UMT and 1024).
	ChunkSize int
	Method    wire.IntegrityMethod
	Window    uint64
	Name      string
	Limits    Limits
}

// ParseLiveIntegrity reads a live content integrity method's name as the CLI, the config
// and the CMD gateway take it: "umt" (the Unified Merkle Tree, §6.1.2; also
// "unified-merkle"), "signall" (Sign All, §6.1.1; also "sign-all"), or the option 3 codes
// 3 and 2. Empty means the Unified Merkle Tree.
func ParseLiveIntegrity(s string) (wire.IntegrityMethod, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "umt", "unified-merkle", "unifiedmerkle", "3":
		return wire.IntegrityUnifiedMHT, nil
	case "signall", "sign-all", "2":
		return wire.IntegritySignAll, nil
	}
	return 0, fmt.Errorf("live integrity %q: want umt (Unified Merkle Tree) or signall (Sign All)", s)
}

// LiveIntegrityName is the name ParseLiveIntegrity reads for m.
func LiveIntegrityName(m wire.IntegrityMethod) string {
	switch m {
	case wire.IntegritySignAll:
		return "signall"
	case wire.IntegrityUnifiedMHT, 0:
		return "umt"
	}
	return m.String()
}

// IsLiveID reports whether id names a live swarm: a well-formed public key of a supported
// signature algorithm (§6.1), of a length no static swarm ID has. A static swarm's ID is a
// root hash of 20, 28, 32, 48 or 64 bytes (§7.6); a live one is an algorithm byte and a
// key (33 bytes for Ed25519, 65 for ECDSA P-256, 97 for P-384, hundreds for RSA), so the
// two never collide and a link needs no extra mark to say it is live.
func IsLiveID(id ID) bool {
	if isRootHashSize(len(id)) {
		return false
	}
	_, err := livesig.ParseSwarmID([]byte(id))
	return err == nil
}

// CheckLiveID explains why id is not a live swarm ID, or returns nil.
func CheckLiveID(id ID) error {
	if len(id) == 0 {
		return fmt.Errorf("no swarm ID")
	}
	if isRootHashSize(len(id)) {
		return fmt.Errorf("swarm ID %v has %d bytes, the size of a root hash: it names a static swarm, not a live stream", id, len(id))
	}
	if _, err := livesig.ParseSwarmID([]byte(id)); err != nil {
		return fmt.Errorf("not a live swarm ID (an algorithm byte and a public key, RFC 7574 §6.1): %w", err)
	}
	return nil
}

func isRootHashSize(n int) bool {
	for _, hf := range []hashtree.HashFunc{hashtree.SHA1, hashtree.SHA224, hashtree.SHA256, hashtree.SHA384, hashtree.SHA512} {
		if hf.Size() == n {
			return true
		}
	}
	return false
}

// LiveFileSpec says what file or FIFO a live source reads its stream from (the daemon's
// CMD LIVE SOURCE and [live] sources): the spec's Key is read from KeyFile, or, when
// KeyFile is empty, made anew with algorithm Alg — an ephemeral key: the swarm ID changes
// each time, so links to it break when the source restarts.
type LiveFileSpec struct {
	LiveSourceSpec
	// Path is a regular file (read from its start; with Follow, then as it grows until
	// the swarm is removed, as tail -f reads) or a FIFO (read until the swarm is removed,
	// whoever writes to it).
	Path   string
	Follow bool
	// KeyFile is a PEM PKCS#8 key file (ppsppd keygen, libswift's -K).
	KeyFile string
	// Alg names the algorithm of a generated key (livesig.ParseAlg); "" is
	// livesig.DefaultAlg.
	Alg string
}

// MaxChunksPerSig bounds a Unified Merkle Tree munro: 1024 chunks, a second of a
// 8 Mbit/s stream in 1 KiB chunks before the first of them can be announced.
const MaxChunksPerSig = 1024

// CheckChunksPerSig checks a munro width asked for (LiveSourceSpec.ChunksPerSig): 0 for the
// default, else a power of two (§6.1.2.1: a munro is one subtree) up to MaxChunksPerSig.
func CheckChunksPerSig(n uint64) error {
	if n != 0 && (n&(n-1) != 0 || n > MaxChunksPerSig) {
		return fmt.Errorf("chunks per signature %d: want a power of two up to %d (0: 32, libswift's)", n, MaxChunksPerSig)
	}
	return nil
}
