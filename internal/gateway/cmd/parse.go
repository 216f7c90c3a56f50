package cmdgw

import (
	"fmt"
	"github.com/ppsppd/ppsppd/internal/config"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// Command is one parsed client line. The concrete types below are the whole set.
type Command interface{ name() string }

// libswift's commands.
type (
	// Start is START <tswift-url> [destdir [metadir]]: download a swarm (or adopt one
	// already held) and report INFO on this connection.
	Start struct {
		URL     string
		Link    swarmurl.Link
		Dest    string // passed to the manager as AddSpec.Dest (checked inside the content directory there)
		MetaDir string // accepted and ignored: state lives beside the content (see doc.go)
	}
	// Remove is REMOVE <hex> <removestate 0|1> <removecontent 0|1>.
	Remove struct {
		ID   swarms.ID
		Opts swarms.RemoveOptions
	}
	// MaxSpeed is MAXSPEED <hex> DOWNLOAD|UPLOAD <KiB/s>; Rate is in bytes/s (0: no cap).
	MaxSpeed struct {
		ID   swarms.ID
		Up   bool // UPLOAD; otherwise DOWNLOAD
		Rate float64
	}
	// Checkpoint is CHECKPOINT <hex>.
	Checkpoint struct{ ID swarms.ID }
	// SetMoreInfo is SETMOREINFO <hex> 0|1.
	SetMoreInfo struct {
		ID swarms.ID
		On bool
	}
	// Shutdown is SHUTDOWN.
	Shutdown struct{}
	// PeerAddr is PEERADDR <hex> <host:port>: one more peer for a swarm.
	PeerAddr struct {
		ID   swarms.ID
		Addr string
	}
)

// ppsppd's commands; each reply ends with an OK line, or is one ERROR line.
type (
	// List is LIST [<hex>]: a SWARM line per swarm held (or for the one named).
	List struct{ ID swarms.ID }
	// Peers is PEERS <hex>: a PEER line per established channel.
	Peers struct{ ID swarms.ID }
	// Limit is LIMIT [<hex>|global] [up=<rate>] [down=<rate>]: show or set rate caps
	// (ID "" = global). Nil fields are left as they are.
	Limit struct {
		ID       swarms.ID
		Up, Down *float64
	}
	// Add is ADD <link> [peer=<host:port>]... [dest=<path>]: START with a definite reply,
	// for the CLI; the connection does not get INFO lines for the swarm.
	Add struct {
		URL   string
		Link  swarmurl.Link
		Peers []string
		Dest  string
	}
	// Seed is SEED <absolute path>: seed a local file, which must lie inside the content
	// directory or a configured seed path (Options.SeedRoots).
	Seed struct {
		Path string
	}
	// Rm is RM <hex> [delete]: REMOVE with a definite reply; delete removes the content
	// and its state files.
	Rm struct {
		ID     swarms.ID
		Delete bool
	}
	// Help is HELP.
	Help struct{}
	// Version is VERSION.
	Version struct{}
)

func (Start) name() string       { return "START" }
func (Remove) name() string      { return "REMOVE" }
func (MaxSpeed) name() string    { return "MAXSPEED" }
func (Checkpoint) name() string  { return "CHECKPOINT" }
func (SetMoreInfo) name() string { return "SETMOREINFO" }
func (Shutdown) name() string    { return "SHUTDOWN" }
func (PeerAddr) name() string    { return "PEERADDR" }
func (List) name() string        { return "LIST" }
func (Peers) name() string       { return "PEERS" }
func (Limit) name() string       { return "LIMIT" }
func (Add) name() string         { return "ADD" }
func (Rm) name() string          { return "RM" }
func (Seed) name() string        { return "SEED" }
func (Help) name() string        { return "HELP" }
func (Version) name() string     { return "VERSION" }

// ErrorKind is the class of a bad line, printed with libswift's words so scripts that
// match them keep working.
type ErrorKind int

// Error kinds.
const (
	UnknownCommand   ErrorKind = iota + 1 // "unknown command"
	MissingParameter                      // "missing parameter"
	BadParameter                          // "bad parameter"
)

func (k ErrorKind) String() string {
	switch k {
	case UnknownCommand:
		return "unknown command"
	case MissingParameter:
		return "missing parameter"
	case BadParameter:
		return "bad parameter"
	}
	return "error"
}

// ParseError says why a line is not a command. It never holds raw client bytes: Detail
// quotes what it repeats.
type ParseError struct {
	Kind   ErrorKind
	Detail string
}

func (e *ParseError) Error() string {
	if e.Detail == "" {
		return e.Kind.String()
	}
	return e.Kind.String() + ": " + e.Detail
}

func perr(k ErrorKind, format string, args ...any) *ParseError {
	return &ParseError{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// quote repeats client text in an error safely: escaped, and cut short.
func quote(s string) string {
	const most = 64
	if len(s) > most {
		s = s[:most] + "..."
	}
	return strconv.Quote(s)
}

// ParseLine reads one client line (without its line end; a trailing CR is dropped). A
// blank line gives (nil, nil): nothing to do. Command words are matched without regard to
// case (libswift wants upper case; lower case is accepted too).
func ParseLine(line string) (Command, error) {
	line = strings.TrimSuffix(line, "\r")
	if !utf8.ValidString(line) || strings.ContainsFunc(line, isControl) {
		return nil, perr(BadParameter, "line holds control characters or is not UTF-8 text")
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil, nil
	}
	word, args := strings.ToUpper(f[0]), f[1:]
	parse, ok := parsers[word]
	if !ok {
		if strings.HasPrefix(word, "TUNNEL") {
			return nil, perr(UnknownCommand, "%s (libswift's UDP tunnel) is not supported", quote(f[0]))
		}
		return nil, perr(UnknownCommand, "%s (try HELP)", quote(f[0]))
	}
	return parse(args)
}

func isControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

// parsers maps a command word to its argument parser.
var parsers = map[string]func([]string) (Command, error){
	"START":       parseStart,
	"REMOVE":      parseRemove,
	"MAXSPEED":    parseMaxSpeed,
	"CHECKPOINT":  oneID(func(id swarms.ID) Command { return Checkpoint{ID: id} }),
	"SETMOREINFO": parseSetMoreInfo,
	"SHUTDOWN":    noArgs(Shutdown{}),
	"PEERADDR":    parsePeerAddr,
	"LIST":        parseList,
	"PEERS":       oneID(func(id swarms.ID) Command { return Peers{ID: id} }),
	"LIMIT":       parseLimit,
	"ADD":         parseAdd,
	"RM":          parseRm,
	"SEED":        parseSeed,
	"HELP":        noArgs(Help{}),
	"VERSION":     noArgs(Version{}),
	"BOOSTER":     parseBooster,
	"LIVE":        parseLive,
}

// want checks the argument count: at least min, at most max.
func want(args []string, min, max int, usage string) error {
	if len(args) < min {
		return perr(MissingParameter, "usage: %s", usage)
	}
	if len(args) > max {
		return perr(BadParameter, "extra arguments; usage: %s", usage)
	}
	return nil
}

func noArgs(c Command) func([]string) (Command, error) {
	return func(args []string) (Command, error) {
		if err := want(args, 0, 0, c.name()); err != nil {
			return nil, err
		}
		return c, nil
	}
}

func oneID(mk func(swarms.ID) Command) func([]string) (Command, error) {
	return func(args []string) (Command, error) {
		usage := mk("").name() + " <swarm-id-hex>"
		if err := want(args, 1, 1, usage); err != nil {
			return nil, err
		}
		id, err := parseID(args[0])
		if err != nil {
			return nil, err
		}
		return mk(id), nil
	}
}

func parseID(s string) (swarms.ID, error) {
	id, err := swarms.ParseID(s)
	if err != nil {
		return "", perr(BadParameter, "%s", err.Error())
	}
	return id, nil
}

func parseLink(s string) (swarmurl.Link, error) {
	l, err := swarmurl.Parse(s)
	if err != nil {
		return l, perr(BadParameter, "%s", err.Error())
	}
	return l, nil
}

func parseStart(args []string) (Command, error) {
	// libswift splits at single spaces too, so paths with spaces never worked there.
	if err := want(args, 1, 3, "START <tswift-url> [destdir [metadir]]"); err != nil {
		return nil, err
	}
	l, err := parseLink(args[0])
	if err != nil {
		return nil, err
	}
	c := Start{URL: args[0], Link: l}
	if len(args) > 1 {
		c.Dest = args[1]
	}
	if len(args) > 2 {
		c.MetaDir = args[2]
	}
	return c, nil
}

func parseFlag(s, what string) (bool, error) {
	switch s {
	case "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, perr(BadParameter, "%s must be 0 or 1, not %s", what, quote(s))
}

func parseRemove(args []string) (Command, error) {
	if err := want(args, 3, 3, "REMOVE <swarm-id-hex> <removestate 0|1> <removecontent 0|1>"); err != nil {
		return nil, err
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	state, err := parseFlag(args[1], "removestate")
	if err != nil {
		return nil, err
	}
	content, err := parseFlag(args[2], "removecontent")
	if err != nil {
		return nil, err
	}
	return Remove{ID: id, Opts: swarms.RemoveOptions{DeleteState: state, DeleteContent: content}}, nil
}

func parseMaxSpeed(args []string) (Command, error) {
	if err := want(args, 3, 3, "MAXSPEED <swarm-id-hex> DOWNLOAD|UPLOAD <KiB/s>"); err != nil {
		return nil, err
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	var up bool
	switch strings.ToUpper(args[1]) {
	case "DOWNLOAD":
	case "UPLOAD":
		up = true
	default:
		return nil, perr(BadParameter, "direction must be DOWNLOAD or UPLOAD, not %s", quote(args[1]))
	}
	kib, err := strconv.ParseFloat(args[2], 64)
	if err != nil || kib < 0 || math.IsInf(kib, 0) || math.IsNaN(kib) {
		return nil, perr(BadParameter, "speed %s: want KiB/s as a number >= 0", quote(args[2]))
	}
	return MaxSpeed{ID: id, Up: up, Rate: kib * 1024}, nil
}

func parseSetMoreInfo(args []string) (Command, error) {
	if err := want(args, 2, 2, "SETMOREINFO <swarm-id-hex> 0|1"); err != nil {
		return nil, err
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	on, err := parseFlag(args[1], "SETMOREINFO's switch")
	if err != nil {
		return nil, err
	}
	return SetMoreInfo{ID: id, On: on}, nil
}

func parsePeerAddr(args []string) (Command, error) {
	if err := want(args, 2, 2, "PEERADDR <swarm-id-hex> <host:port>"); err != nil {
		return nil, err
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	if err := checkHostPort(args[1]); err != nil {
		return nil, err
	}
	return PeerAddr{ID: id, Addr: args[1]}, nil
}

func checkHostPort(s string) error {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return perr(BadParameter, "peer %s: want host:port", quote(s))
	}
	if p, err := strconv.ParseUint(s[i+1:], 10, 16); err != nil || p == 0 {
		return perr(BadParameter, "peer %s: bad port", quote(s))
	}
	return nil
}

func parseList(args []string) (Command, error) {
	if err := want(args, 0, 1, "LIST [<swarm-id-hex>]"); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return List{}, nil
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	return List{ID: id}, nil
}

const limitUsage = "LIMIT [<swarm-id-hex>|global] [up=<rate>] [down=<rate>] (bytes/s; k, m, g suffixes are KiB, MiB, GiB; 0 = no cap)"

func parseLimit(args []string) (Command, error) {
	if err := want(args, 0, 3, limitUsage); err != nil {
		return nil, err
	}
	var c Limit
	for i, a := range args {
		key, val, isKV := strings.Cut(a, "=")
		if !isKV {
			if i != 0 {
				return nil, perr(BadParameter, "%s is not up=<rate> or down=<rate>; usage: %s", quote(a), limitUsage)
			}
			if strings.EqualFold(a, "global") {
				continue
			}
			id, err := parseID(a)
			if err != nil {
				return nil, err
			}
			c.ID = id
			continue
		}
		r, err := ParseRate(val)
		if err != nil {
			return nil, perr(BadParameter, "%s: %v", quote(a), err)
		}
		switch strings.ToLower(key) {
		case "up":
			if c.Up != nil {
				return nil, perr(BadParameter, "up= given twice")
			}
			c.Up = &r
		case "down":
			if c.Down != nil {
				return nil, perr(BadParameter, "down= given twice")
			}
			c.Down = &r
		default:
			return nil, perr(BadParameter, "unknown key %s; usage: %s", quote(key), limitUsage)
		}
	}
	return c, nil
}

// ParseRate reads a rate in bytes/s, with config's units (512KiB, 1.5MB, 2m = 2 MiB; 0 =
// no cap): one syntax for the config file, the CLI and the CMD port.
func ParseRate(s string) (float64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, perr(BadParameter, "empty rate: want bytes/s such as 0, 512KiB or 2m")
	}
	r, err := config.ParseRate(s)
	if err != nil {
		return 0, perr(BadParameter, "%v", err)
	}
	return r, nil
}

const addUsage = "ADD <tswift-url|swarm-id-hex> [peer=<host:port>]... [dest=<path>]"

func parseAdd(args []string) (Command, error) {
	// A swarm has few useful bootstrap peers; the bound keeps one line from holding many.
	if err := want(args, 1, 18, addUsage); err != nil {
		return nil, err
	}
	l, err := parseLink(args[0])
	if err != nil {
		return nil, err
	}
	c := Add{URL: args[0], Link: l}
	for _, a := range args[1:] {
		key, val, ok := strings.Cut(a, "=")
		switch {
		case ok && strings.EqualFold(key, "peer"):
			if err := checkHostPort(val); err != nil {
				return nil, err
			}
			c.Peers = append(c.Peers, val)
		case ok && strings.EqualFold(key, "dest") && c.Dest == "":
			if val == "" {
				return nil, perr(BadParameter, "dest= needs a path")
			}
			c.Dest = val
		default:
			return nil, perr(BadParameter, "%s: usage: %s", quote(a), addUsage)
		}
	}
	return c, nil
}

func parseSeed(args []string) (Command, error) {
	if err := want(args, 1, 1, "SEED <absolute-path>"); err != nil {
		return nil, err
	}
	if !filepath.IsAbs(args[0]) {
		return nil, perr(BadParameter, "%s: SEED takes an absolute path", quote(args[0]))
	}
	return Seed{Path: filepath.Clean(args[0])}, nil
}

func parseRm(args []string) (Command, error) {
	if err := want(args, 1, 2, "RM <swarm-id-hex> [delete]"); err != nil {
		return nil, err
	}
	id, err := parseID(args[0])
	if err != nil {
		return nil, err
	}
	c := Rm{ID: id}
	if len(args) == 2 {
		if !strings.EqualFold(args[1], "delete") {
			return nil, perr(BadParameter, "%s: usage: RM <swarm-id-hex> [delete]", quote(args[1]))
		}
		c.Delete = true
	}
	return c, nil
}
