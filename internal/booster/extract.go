package booster

import (
	"html"
	"strings"
	"unicode"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// maxLinksPerText bounds what one text yields, so that a hostile feed cannot make the
// booster queue millions of swarms from one item.
const maxLinksPerText = 256

// Schemes the booster recognises. ppsp:// is the scheme the link handler registers next to
// libswift's tswift://; its links have the same form.
const (
	tswiftPrefix = swarmurl.Scheme + ":"
	ppspPrefix   = swarmurl.PPSPScheme + ":"
)

// Extract finds the swarm links in text: tswift: and ppsp: links, and bare swarm IDs (40 or
// 64 hex digits standing alone as a word). HTML entities are decoded first, since feed
// descriptions are HTML. Each swarm appears once, in order of first appearance; when a swarm
// is named both bare and by a link, the link (which may carry a peer) is kept, and of two
// links the first with a peer. Text that is not a valid link is skipped, never an error.
func Extract(text string) []swarmurl.Link {
	if strings.Contains(text, "&") {
		text = html.UnescapeString(text)
	}
	var set linkSet
	for _, tok := range strings.FieldsFunc(text, isDelimiter) {
		if len(set.links) >= maxLinksPerText {
			break
		}
		if l, ok := parseToken(tok); ok {
			set.add(l)
		}
	}
	return set.links
}

// linkSet collects links, each swarm once, in order of first appearance: a link with a
// peer replaces one without.
type linkSet struct {
	links []swarmurl.Link
	index map[string]int // swarm ID -> position in links
}

func (s *linkSet) add(l swarmurl.Link) {
	key := string(l.SwarmID)
	if i, seen := s.index[key]; seen {
		if s.links[i].Peer == "" && l.Peer != "" {
			s.links[i] = l
		}
		return
	}
	if s.index == nil {
		s.index = map[string]int{}
	}
	s.index[key] = len(s.links)
	s.links = append(s.links, l)
}

// isDelimiter ends a token: white space, and the characters that quote or bracket a URL in
// HTML, Markdown and prose. None of them appears in a tswift link ("$" and the query's "&"
// and "=" do, and are not delimiters). Square brackets are not delimiters either: an IPv6
// peer is written in them; parseToken trims a stray one.
func isDelimiter(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("\"'<>(){}|\\^`,;", r)
}

// parseToken reads one token as a link or a bare swarm ID.
func parseToken(tok string) (swarmurl.Link, bool) {
	tok = strings.TrimRight(tok, ".:!?*")
	if i := indexFold(tok, tswiftPrefix); i >= 0 {
		return parseLink(trimStrayBracket(tok[i:]))
	}
	if i := indexFold(tok, ppspPrefix); i >= 0 {
		return parseLink(trimStrayBracket(tok[i:])) // swarmurl reads ppsp: as tswift:
	}
	tok = strings.TrimRight(strings.TrimLeft(tok, "*#:["), "]")
	if (len(tok) == 40 || len(tok) == 64) && isHex(tok) {
		return parseLink(tok)
	}
	return swarmurl.Link{}, false
}

// trimStrayBracket drops the "]" ending a link written in brackets ("[tswift:/HEX]"),
// keeping an IPv6 peer's.
func trimStrayBracket(s string) string {
	if strings.Count(s, "]") > strings.Count(s, "[") {
		return strings.TrimRight(s, "].:!?*")
	}
	return s
}

// parseLink parses s with swarmurl and keeps it only if the manager could add it: a known
// hash function whose size matches the swarm ID (a link without one means SHA-1 for a
// 20-byte ID, as libswift's do, and SHA-256 for a 32-byte one).
func parseLink(s string) (swarmurl.Link, bool) {
	if len(s) > len(tswiftPrefix) && strings.EqualFold(s[:len(tswiftPrefix)], tswiftPrefix) {
		s = tswiftPrefix + s[len(tswiftPrefix):] // swarmurl wants the scheme in lower case
	}
	l, err := swarmurl.Parse(s)
	if err != nil {
		return l, false
	}
	if l.Hash < 0 {
		switch len(l.SwarmID) {
		case hashtree.SHA1.Size():
			return l, true
		case hashtree.SHA256.Size():
			l.Hash = int(hashtree.SHA256)
		default:
			return l, false
		}
	}
	hf := hashtree.HashFunc(l.Hash)
	if l.Hash > 255 || !hf.Valid() || hf.Size() != len(l.SwarmID) {
		return l, false
	}
	return l, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// indexFold is strings.Index without regard to ASCII case.
func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}
