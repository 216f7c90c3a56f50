package cmdgw

import (
	"strconv"
	"strings"
	"time"

	"github.com/ppsppd/ppsppd/internal/booster"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// BoosterAPI is what the gateway needs of the feed booster (internal/booster): its status
// for BOOSTER, and Release for ADD and START of a swarm the booster added, which makes the
// swarm the user's (the booster never removes it then).
type BoosterAPI interface {
	Status() booster.Status
	Release(id swarms.ID) bool
}

// releaseFromBooster makes a swarm the user asked for the user's, when the booster held it.
func (c *conn) releaseFromBooster(id swarms.ID) {
	if c.s.opts.Booster != nil {
		c.s.opts.Booster.Release(id)
	}
}

// Booster is BOOSTER [FEEDS|SWARMS]: the booster's summary, its sources or its swarms.
type Booster struct {
	What string // "", "FEEDS" or "SWARMS"
}

func (Booster) name() string { return "BOOSTER" }

const boosterUsage = "BOOSTER [FEEDS|SWARMS]"

func parseBooster(args []string) (Command, error) {
	if err := want(args, 0, 1, boosterUsage); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return Booster{}, nil
	}
	switch w := strings.ToUpper(args[0]); w {
	case "FEEDS", "SWARMS":
		return Booster{What: w}, nil
	}
	return nil, perr(BadParameter, "%s; usage: %s", quote(args[0]), boosterUsage)
}

// booster answers BOOSTER: a summary line, a FEED line per source or a BSWARM line per
// booster swarm, then OK; an ERROR when the daemon runs no booster.
func (c *conn) booster(cmd Booster) {
	if c.s.opts.Booster == nil {
		c.send(ErrorLine("", "booster is off (booster.enabled = false in the config)"))
		return
	}
	st := c.s.opts.Booster.Status()
	switch cmd.What {
	case "FEEDS":
		for _, src := range st.Sources {
			c.send(BoosterFeedLine(src))
		}
	case "SWARMS":
		for _, sw := range st.Swarms {
			c.send(BoosterSwarmLine(sw))
		}
	default:
		c.send(BoosterLine(st))
	}
	c.send(OKLine)
}

// BoosterLine is BOOSTER's summary:
//
//	BOOSTER interval=<duration> sources=<n> failing=<n> swarms=<n>/<max|-> bytes=<n>/<max|-> links=<n> added=<n> skipped=<n> removed=<n>
func BoosterLine(st booster.Status) string {
	failing := 0
	for _, s := range st.Sources {
		if s.ConsecutiveErrors > 0 {
			failing++
		}
	}
	limit := func(n int64) string {
		if n <= 0 {
			return "-"
		}
		return strconv.FormatInt(n, 10)
	}
	return "BOOSTER interval=" + st.Interval.String() +
		" sources=" + strconv.Itoa(len(st.Sources)) + " failing=" + strconv.Itoa(failing) +
		" swarms=" + strconv.Itoa(len(st.Swarms)) + "/" + limit(int64(st.Limits.MaxSwarms)) +
		" bytes=" + strconv.FormatInt(st.Bytes, 10) + "/" + limit(st.Limits.MaxBytes) +
		" links=" + u64(st.Links) + " added=" + u64(st.Added) + " skipped=" + u64(st.Skipped) + " removed=" + u64(st.Removed)
}

// BoosterFeedLine is one source of BOOSTER FEEDS:
//
//	FEED <url|dir:path> ok|failing|pending last=<time|-> next=<time|-> checks=<n> not-modified=<n> errors=<n> links=<n>[ error=<text>]
func BoosterFeedLine(s booster.SourceStatus) string {
	state := "ok"
	switch {
	case s.ConsecutiveErrors > 0:
		state = "failing"
	case s.LastCheck.IsZero():
		state = "pending"
	}
	line := "FEED " + oneLine(strings.ReplaceAll(s.Source, " ", "%20")) + " " + state +
		" last=" + timeField(s.LastCheck) + " next=" + timeField(s.NextCheck) +
		" checks=" + u64(s.Checks) + " not-modified=" + u64(s.NotModified) + " errors=" + u64(s.Errors) + " links=" + u64(s.Links)
	if s.LastError != "" {
		line += " error=" + oneLine(s.LastError)
	}
	return line
}

// BoosterSwarmLine is one swarm of BOOSTER SWARMS:
//
//	BSWARM <hex> <state> <have>/<size> up=<B/s> uploaded=<n> seeders=<n> added=<time> completed=<time|-> source=<url|dir:path>
func BoosterSwarmLine(s booster.SwarmStatus) string {
	return "BSWARM " + idHex(s.ID) + " " + s.State.String() + " " + strconv.FormatInt(s.Have, 10) + "/" + strconv.FormatInt(max(s.Size, 0), 10) +
		" up=" + strconv.FormatFloat(s.UpRate, 'f', 0, 64) + " uploaded=" + u64(s.Uploaded) + " seeders=" + strconv.Itoa(s.Seeders) +
		" added=" + timeField(s.Added) + " completed=" + timeField(s.Completed) +
		" source=" + oneLine(strings.ReplaceAll(s.Source, " ", "%20"))
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// timeField is a time in UTC, RFC 3339 to the second, or "-" for none.
func timeField(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
