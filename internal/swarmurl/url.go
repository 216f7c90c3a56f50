// Package swarmurl reads and writes the swarm links users pass around: libswift's tswift:
// URLs and bare swarm IDs in hex.
//
// Forms accepted:
//
//	tswift://HOST:PORT/SWARMHEX[$CHUNKSIZE][/FILENAME][?cs=N&cl=N&hf=N&ca=N&cp=N&v=N]
//	tswift:/SWARMHEX[$CHUNKSIZE]        (what `swift -m` prints when no tracker is set)
//	SWARMHEX
//
// HOST:PORT is a peer to contact (libswift calls it the tracker). The query keys are
// libswift's: cs chunk size, cl content length, hf Merkle hash function, ca chunk
// addressing, cp content integrity protection, v version (RFC 7574 option codes).
package swarmurl

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Scheme is libswift's URL scheme, the one links are written in.
const Scheme = "tswift"

// PPSPScheme is read as Scheme: RFC 7574 names no URI scheme, and ppsp: links in the wild
// have tswift:'s form (peer, ID, $chunksize, query keys). Schemes are case-insensitive
// (RFC 3986 §3.1), which matters for links a desktop hands over.
const PPSPScheme = "ppsp"

// DefaultChunkSize is what a URL without a chunk size means (libswift's default, and RFC
// 7574 §8.1's recommendation).
const DefaultChunkSize = 1024

// Link is a parsed swarm link.
type Link struct {
	Peer      string // "host:port" to contact, or "" when the link names none
	SwarmID   []byte
	Filename  string
	ChunkSize uint32 // DefaultChunkSize when the link does not say
	// Size is the content length in bytes, or -1 when the link does not say (the size is
	// then learned from the peak hashes, RFC 7574 §5.6).
	Size int64
	// Hash is the Merkle hash function code (RFC 7574 §7.6), or -1 when the link does not
	// say; libswift's links never do, and mean SHA-1.
	Hash       int
	Addressing int // chunk addressing code (§7.8), or -1
	Integrity  int // content integrity protection method (§7.5), or -1
}

// MaxSwarmIDLen bounds the ID in a link, as the handshake option does.
const MaxSwarmIDLen = wire.MaxSwarmIDLen

// Parse reads a tswift: URL or a bare swarm ID in hex.
func Parse(s string) (Link, error) {
	l := Link{ChunkSize: DefaultChunkSize, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}
	s = strings.TrimSpace(s)
	scheme, rest, isURL := strings.Cut(s, ":")
	isURL = isURL && (strings.EqualFold(scheme, Scheme) || strings.EqualFold(scheme, PPSPScheme))
	if scheme, _, ok := strings.Cut(s, "://"); ok && !isURL {
		return l, fmt.Errorf("%q is a %s: link; only %s:// and %s:// links and swarm IDs (hex) are accepted", s, scheme, Scheme, PPSPScheme)
	}
	if !isURL {
		id, err := ParseID(s)
		if err != nil {
			return l, err
		}
		l.SwarmID = id
		return l, nil
	}
	rest, query, _ := strings.Cut(rest, "?")
	if host, ok := strings.CutPrefix(rest, "//"); ok {
		// tswift://host:port/path
		h, path, _ := strings.Cut(host, "/")
		if h != "" {
			if err := CheckPeer(h); err != nil {
				return l, fmt.Errorf("swarm link %q: %w", s, err)
			}
		}
		l.Peer, rest = h, path
	} else {
		rest = strings.TrimPrefix(rest, "/")
	}
	peer := l.Peer
	// A browser handing a clicked link to its scheme handler percent-encodes what it
	// finds unsafe ("$" as %24, spaces in file names); the link meant the decoded path.
	rest, err := url.PathUnescape(rest)
	if err != nil {
		return l, fmt.Errorf("swarm link %q: %w", s, err)
	}
	l, _, err = ParsePath(rest, query)
	if err != nil {
		return l, fmt.Errorf("swarm link %q: %w", s, err)
	}
	l.Peer = peer
	return l, nil
}

// ParsePath reads the part of a link after its peer, SWARMHEX[$CHUNKSIZE][/FILENAME], and
// its query (without the "?"): the form libswift's HTTP gateway takes as a request path
// too. It returns the query's values as well, for the keys only its caller knows.
func ParsePath(path, query string) (Link, url.Values, error) {
	l := Link{ChunkSize: DefaultChunkSize, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}
	idPart, filename, _ := strings.Cut(path, "/")
	l.Filename = filename
	if hexID, cs, ok := strings.Cut(idPart, "$"); ok {
		n, err := strconv.ParseUint(cs, 10, 32)
		if err != nil {
			return l, nil, fmt.Errorf("bad chunk size %q after $", cs)
		}
		if err := hashtree.CheckChunkSize(n); err != nil {
			return l, nil, fmt.Errorf("chunk size $%d: %w", n, err)
		}
		l.ChunkSize, idPart = uint32(n), hexID
	}
	id, err := ParseID(idPart)
	if err != nil {
		return l, nil, err
	}
	l.SwarmID = id
	vals, err := url.ParseQuery(query)
	if err != nil {
		return l, nil, fmt.Errorf("query: %w", err)
	}
	if err := l.applyQuery(vals); err != nil {
		return l, nil, err
	}
	return l, vals, nil
}

// ParseID reads a swarm ID in hex, the one rule for every place one arrives from outside.
// Its length is checked before it is decoded, so a huge input costs nothing.
func ParseID(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("no swarm ID")
	}
	if len(s) > 2*MaxSwarmIDLen {
		return nil, fmt.Errorf("swarm ID of %d hex digits is too long (at most %d)", len(s), 2*MaxSwarmIDLen)
	}
	id, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("swarm ID %q: want hex digits", s)
	}
	return id, nil
}

func (l *Link) applyQuery(vals url.Values) error {
	num := func(key string, bits int) (uint64, bool, error) {
		v := vals.Get(key)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseUint(v, 10, bits)
		if err != nil {
			return 0, false, fmt.Errorf("bad %s=%q", key, v)
		}
		return n, true, nil
	}
	if n, ok, err := num("cs", 32); err != nil {
		return err
	} else if ok {
		if err := hashtree.CheckChunkSize(n); err != nil {
			return fmt.Errorf("cs=%d: %w", n, err)
		}
		l.ChunkSize = uint32(n)
	}
	if n, ok, err := num("cl", 63); err != nil {
		return err
	} else if ok {
		l.Size = int64(n)
	}
	for key, dst := range map[string]*int{"hf": &l.Hash, "ca": &l.Addressing, "cp": &l.Integrity} {
		if n, ok, err := num(key, 8); err != nil {
			return err
		} else if ok {
			*dst = int(n)
		}
	}
	if l.Hash >= 0 && !hashtree.HashFunc(l.Hash).Valid() {
		return fmt.Errorf("hf=%d: want a Merkle hash function code 0-4 (RFC 7574 §7.6)", l.Hash)
	}
	return nil
}

// HashName is the name the swarm manager takes for the link's hash function: "" when the
// link does not say, which means SHA-1 (libswift's only one).
func (l Link) HashName() string {
	if l.Hash < 0 {
		return ""
	}
	return hashtree.HashFunc(l.Hash).String()
}

// CheckPeer checks a HOST:PORT's form without looking the host up (no I/O): for parsers
// of outside input, which leave resolving (ResolvePeer) to whoever contacts the peer. It is
// the one rule for every HOST:PORT of a UDP peer: PPSPP peers, trackers, DHT bootstrap
// nodes.
func CheckPeer(h string) error {
	host, portStr, err := net.SplitHostPort(h)
	if err != nil || host == "" {
		return peerFormError(h)
	}
	if port, err := strconv.ParseUint(portStr, 10, 16); err != nil || port == 0 {
		return fmt.Errorf("bad port %q: want 1 to 65535", portStr)
	}
	return nil
}

// String writes the link in libswift's form: chunk size as a "$" suffix when it is not the
// default, the hash function only when it is not SHA-1 (libswift's only one), and the
// content length when known.
func (l Link) String() string {
	var b strings.Builder
	b.WriteString(Scheme + ":")
	if l.Peer != "" {
		b.WriteString("//" + l.Peer)
	}
	b.WriteString("/" + hex.EncodeToString(l.SwarmID))
	if l.ChunkSize != 0 && l.ChunkSize != DefaultChunkSize {
		b.WriteString("$" + strconv.FormatUint(uint64(l.ChunkSize), 10))
	}
	var q []string
	if l.Hash > 0 {
		q = append(q, "hf="+strconv.Itoa(l.Hash))
	}
	if l.Size >= 0 {
		q = append(q, "cl="+strconv.FormatInt(l.Size, 10))
	}
	if l.Integrity == int(wire.IntegritySignAll) {
		// A live stream under Sign All (RFC 7574 §6.1.1): a joining peer must know, since
		// the Unified Merkle Tree is what a live link means otherwise (libswift's only).
		q = append(q, "cp="+strconv.Itoa(l.Integrity))
	}
	if len(q) > 0 {
		b.WriteString("?" + strings.Join(q, "&"))
	}
	return b.String()
}

// ResolvePeer turns a peer's HOST:PORT into an address, as --listen takes it: an IPv4
// address, an IPv6 address in brackets ([::1]:6778) or a host name (localhost:6778), looked
// up with the system resolver (the first address wins). A bare IPv6 address gets a message
// that shows the bracketed form.
func ResolvePeer(hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil && ap.Port() != 0 {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, peerFormError(hostport)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("peer %q: bad port %q: want 1 to 65535", hostport, portStr)
	}
	if host == "" {
		return netip.AddrPort{}, fmt.Errorf("peer %q: no host: want HOST:PORT, e.g. 127.0.0.1:%d", hostport, port)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil // e.g. a zone the fast path refused
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.AddrPort{}, fmt.Errorf("peer %q: cannot resolve host %q: %v", hostport, host, err)
	}
	return netip.AddrPortFrom(addrs[0].Unmap(), uint16(port)), nil
}

// resolveTimeout bounds a host name lookup.
const resolveTimeout = 5 * time.Second

// peerFormError explains the HOST:PORT forms, with the bracketed one when the input looks
// like IPv6 (a bare ::1, or ::1:6778, which cannot be told from an address).
func peerFormError(hostport string) error {
	if strings.Count(hostport, ":") > 1 && !strings.HasPrefix(hostport, "[") {
		ip := hostport
		if a, err := netip.ParseAddr(hostport); err == nil {
			ip = a.String()
		}
		return fmt.Errorf("peer %q: an IPv6 peer is written in brackets with its port, e.g. [%s]:6778", hostport, ip)
	}
	return fmt.Errorf("peer %q: want HOST:PORT (e.g. 127.0.0.1:6778, [::1]:6778 or localhost:6778)", hostport)
}
