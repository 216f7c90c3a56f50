package cmdgw

import (
	"strconv"
	"strings"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Lines are built without their CRLF; the connection writer adds it.

// noSwarmHex is what libswift prints in an ERROR that is not about one swarm: its null
// swarm ID, 20 zero bytes.
const noSwarmHex = "0000000000000000000000000000000000000000"

// OKLine ends the reply of every ppsppd command that succeeded.
const OKLine = "OK"

// idHex is the ID as printed, with libswift's null ID for "".
func idHex(id swarms.ID) string {
	if id == "" {
		return noSwarmHex
	}
	return id.String()
}

// rate6 prints bytes/s the way libswift's printf("%lf") does: six decimals.
func rate6(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// shownSize is the size INFO and SWARM lines print: the content length once known, else
// the chunk-rounded length once the chunk count is known (libswift prints 1049600 for a
// 1048699-byte file until its last chunk arrives), else 0.
func shownSize(st swarms.Status) int64 {
	switch {
	case st.Size >= 0:
		return st.Size
	case st.TotalChunks > 0 && st.ChunkSize > 0:
		return int64(st.TotalChunks) * int64(st.ChunkSize)
	}
	return 0
}

// InfoLine is libswift's progress report:
// INFO <hex> <status> <have>/<size> <down B/s> <up B/s> <leechers> <seeders>.
func InfoLine(st swarms.Status) string {
	var b strings.Builder
	b.WriteString("INFO ")
	b.WriteString(idHex(st.ID))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(int(st.State)))
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(st.Have, 10))
	b.WriteByte('/')
	b.WriteString(strconv.FormatInt(shownSize(st), 10))
	b.WriteByte(' ')
	b.WriteString(rate6(st.DownRate))
	b.WriteByte(' ')
	b.WriteString(rate6(st.UpRate))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(st.Leechers))
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(st.Seeders))
	return b.String()
}

// HashCheckingInfoLine is the INFO libswift sends at once for a START, before it opens
// the swarm: status 2 and all zeros.
func HashCheckingInfoLine(id swarms.ID) string {
	return InfoLine(swarms.Status{ID: id, State: swarms.StateHashChecking})
}

// PlayLine is PLAY <hex> <base>/<hex>: where the HTTP gateway serves the content.
func PlayLine(id swarms.ID, httpBase string) string {
	h := idHex(id)
	return "PLAY " + h + " " + strings.TrimRight(httpBase, "/") + "/" + h
}

// MoreInfoLine is libswift's MOREINFO <hex> {json} with per-channel byte counts. The
// JSON is written by hand to keep libswift's key order and spacing; the totals are over
// the swarm's channels (libswift's are over the whole process, the same with one swarm).
func MoreInfoLine(id swarms.ID, peers []swarms.Peer, now time.Time) string {
	var b strings.Builder
	b.WriteString("MOREINFO ")
	b.WriteString(idHex(id))
	b.WriteString(` {"timestamp":"`)
	b.WriteString(strconv.FormatFloat(float64(now.UnixMicro())/1e6, 'f', 5, 64))
	b.WriteString(`", "channels":[`)
	var rawUp, rawDown, up, down uint64
	for i, p := range peers {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"ip": `)
		b.WriteString(strconv.Quote(p.Addr.Addr().Unmap().String()))
		b.WriteString(`, "port": `)
		b.WriteString(strconv.Itoa(int(p.Addr.Port())))
		writeCounters(&b, p.RawUp, p.RawDown, p.Up, p.Down)
		b.WriteString("}")
		rawUp, rawDown, up, down = rawUp+p.RawUp, rawDown+p.RawDown, up+p.Up, down+p.Down
	}
	b.WriteString("]")
	writeCounters(&b, rawUp, rawDown, up, down)
	b.WriteString("}")
	return b.String()
}

func writeCounters(b *strings.Builder, rawUp, rawDown, up, down uint64) {
	for _, kv := range []struct {
		k string
		v uint64
	}{{"raw_bytes_up", rawUp}, {"raw_bytes_down", rawDown}, {"bytes_up", up}, {"bytes_down", down}} {
		b.WriteString(`, "`)
		b.WriteString(kv.k)
		b.WriteString(`": `)
		b.WriteString(strconv.FormatUint(kv.v, 10))
	}
	b.WriteString(" ")
}

// ErrorLine is ERROR <hex or 40 zeros> <text>. The text is made one printable line.
func ErrorLine(id swarms.ID, text string) string {
	return "ERROR " + idHex(id) + " " + oneLine(text)
}

// oneLine makes text safe to send as (part of) a line: control characters become spaces
// and it is cut to a bound.
func oneLine(text string) string {
	const most = 512
	if len(text) > most {
		text = text[:most] + "..."
	}
	text = strings.Map(func(r rune) rune {
		if isControl(r) || r == '\t' {
			return ' '
		}
		return r
	}, text)
	return strings.ToValidUTF8(text, "?")
}

// SwarmLine is LIST's line for one swarm:
// SWARM <hex> <state> <have>/<size> <down B/s> <up B/s> <peers> [note]
// with the state's name, whole bytes/s, and as note why the swarm is stuck or failed.
func SwarmLine(st swarms.Status) string {
	f := []string{
		"SWARM",
		idHex(st.ID),
		st.State.String(),
		strconv.FormatInt(st.Have, 10) + "/" + strconv.FormatInt(shownSize(st), 10),
		strconv.FormatFloat(st.DownRate, 'f', 0, 64),
		strconv.FormatFloat(st.UpRate, 'f', 0, 64),
		strconv.Itoa(st.Peers),
	}
	note := st.Err
	if st.Live {
		// A live stream has no size (shown as 0): the note says it is live, so nobody
		// reads have/0 as a broken download.
		kind := "live"
		if st.LiveSource {
			kind = "live source"
		}
		note = kind + joinNote(note)
	}
	if note != "" {
		f = append(f, oneLine(note))
	}
	return strings.Join(f, " ")
}

func joinNote(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// PeerLine is PEERS's line for one channel:
// PEER <ip:port> seeder|leecher <have-chunks> <bytes-up> <bytes-down> <raw-up> <raw-down>.
func PeerLine(p swarms.Peer) string {
	role := "leecher"
	if p.Seeder {
		role = "seeder"
	}
	return strings.Join([]string{
		"PEER", p.Addr.String(), role,
		strconv.FormatUint(p.HaveChunks, 10),
		strconv.FormatUint(p.Up, 10), strconv.FormatUint(p.Down, 10),
		strconv.FormatUint(p.RawUp, 10), strconv.FormatUint(p.RawDown, 10),
	}, " ")
}

// LimitLine is LIMIT's reply: LIMIT <hex>|global up=<B/s> down=<B/s> (0 = no cap).
func LimitLine(id swarms.ID, l swarms.Limits) string {
	who := "global"
	if id != "" {
		who = id.String()
	}
	return "LIMIT " + who + " up=" + strconv.FormatFloat(l.Up, 'f', 0, 64) + " down=" + strconv.FormatFloat(l.Down, 'f', 0, 64)
}

// VersionLine is VERSION's reply.
func VersionLine(version string) string {
	return "VERSION ppsppd " + oneLine(version) + " PPSPP/1 (RFC 7574)"
}
