package cmdgw

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// liveHex is a live swarm ID (ECDSA P-256: algorithm byte 13 and a 64-byte key) made once
// per test binary.
var liveHex = func() string {
	k, err := livesig.GenerateKey(livesig.ECDSAP256SHA256, nil)
	if err != nil {
		panic(err)
	}
	return hex.EncodeToString(k.Public().SwarmID())
}()

func TestParseLive(t *testing.T) {
	cases := []struct {
		line string
		want Command
	}{
		{"LIVE SOURCE /srv/cam.ts", LiveSource{Path: "/srv/cam.ts", Follow: true}},
		{"live source /srv/cam.fifo key=/etc/ppsppd/cam.key chunk=8192 integrity=signall window=512 follow=0",
			LiveSource{Path: "/srv/cam.fifo", KeyFile: "/etc/ppsppd/cam.key", ChunkSize: 8192, Method: wire.IntegritySignAll, Window: 512}},
		{"LIVE SOURCE /srv/../srv/cam.ts sig=ed25519 integrity=UMT", LiveSource{Path: "/srv/cam.ts", Alg: "ed25519", Method: wire.IntegrityUnifiedMHT, Follow: true}},
		{"LIVE SOURCE /srv/cam.ts chunks_per_sig=8", LiveSource{Path: "/srv/cam.ts", Follow: true, ChunksPerSig: 8}},
		{"LIVE STOP " + liveHex, LiveStop{ID: mustID(t, liveHex)}},
	}
	for _, c := range cases {
		got, err := ParseLine(c.line)
		if err != nil {
			t.Errorf("ParseLine(%q): %v", c.line, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseLine(%q) = %#v, want %#v", c.line, got, c.want)
		}
	}
	got, err := ParseLine("LIVE JOIN tswift://127.0.0.1:6778/" + liveHex + "$8192 peer=[::1]:2 peer=127.0.0.1:3 window=100")
	if err != nil {
		t.Fatal(err)
	}
	j, ok := got.(LiveJoin)
	if !ok || j.Link.ChunkSize != 8192 || j.Window != 100 || !reflect.DeepEqual(j.Peers, []string{"[::1]:2", "127.0.0.1:3"}) {
		t.Fatalf("LIVE JOIN parsed as %#v", got)
	}
	spec := joinSpec(j)
	if spec.ID != mustID(t, liveHex) || spec.ChunkSize != 8192 || spec.Method != 0 ||
		!reflect.DeepEqual(spec.Peers, []string{"127.0.0.1:6778", "[::1]:2", "127.0.0.1:3"}) {
		t.Fatalf("join spec %+v", spec)
	}
	got, err = ParseLine("LIVE JOIN tswift:/" + liveHex + "?cp=2")
	if err != nil {
		t.Fatal(err)
	}
	if spec := joinSpec(got.(LiveJoin)); spec.Method != wire.IntegritySignAll {
		t.Fatalf("a link with cp=2 joins with %v", spec.Method)
	}
}

func TestParseLiveErrors(t *testing.T) {
	cases := []struct {
		line string
		kind ErrorKind
		says string
	}{
		{"LIVE", MissingParameter, "LIVE SOURCE|JOIN|STOP"},
		{"LIVE DANCE", UnknownCommand, "DANCE"},
		{"LIVE SOURCE", MissingParameter, "LIVE SOURCE <absolute-path>"},
		{"LIVE SOURCE cam.ts", BadParameter, "absolute path"},
		{"LIVE SOURCE /cam.ts key=cam.key", BadParameter, "key="},
		{"LIVE SOURCE /cam.ts sig=dsa", BadParameter, "sig="},
		{"LIVE SOURCE /cam.ts key=/k sig=ed25519", BadParameter, "together"},
		{"LIVE SOURCE /cam.ts chunk=0", BadParameter, "chunk="},
		{"LIVE SOURCE /cam.ts chunk=70000", BadParameter, "chunk="},
		{"LIVE SOURCE /cam.ts integrity=merkle", BadParameter, "umt or signall"},
		{"LIVE SOURCE /cam.ts integrity=", BadParameter, "umt or signall"},
		{"LIVE SOURCE /cam.ts window=0", BadParameter, "window="},
		{"LIVE SOURCE /cam.ts chunks_per_sig=24", BadParameter, "chunks_per_sig="},
		{"LIVE SOURCE /cam.ts chunks_per_sig=0", BadParameter, "chunks_per_sig="},
		{"LIVE SOURCE /cam.ts window=99999999999", BadParameter, "window="},
		{"LIVE SOURCE /cam.ts follow=yes", BadParameter, "follow"},
		{"LIVE SOURCE /cam.ts window=1 window=2", BadParameter, "twice"},
		{"LIVE SOURCE /cam.ts colour=blue", BadParameter, "unknown option"},
		{"LIVE SOURCE /cam.ts blue", BadParameter, "key=value"},
		{"LIVE JOIN", MissingParameter, "LIVE JOIN"},
		{"LIVE JOIN " + hexID, BadParameter, "static swarm"},
		{"LIVE JOIN 0d00", BadParameter, "not a live swarm ID"},
		{"LIVE JOIN " + liveHex + " peer=nowhere", BadParameter, "host:port"},
		{"LIVE JOIN " + liveHex + " chunk=1", BadParameter, "unknown option"},
		{"LIVE STOP", MissingParameter, "LIVE STOP"},
		{"LIVE STOP xyz", BadParameter, ""},
	}
	for _, c := range cases {
		got, err := ParseLine(c.line)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseLine(%q) = %#v, %v; want a *ParseError", c.line, got, err)
			continue
		}
		if pe.Kind != c.kind || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseLine(%q): %v (kind %v); want kind %v saying %q", c.line, err, pe.Kind, c.kind, c.says)
		}
	}
}

// TestSwarmLineLive: a live swarm's SWARM line says it is live in its note, which LIST's
// parser reads back.
func TestSwarmLineLive(t *testing.T) {
	id := mustID(t, liveHex)
	for _, tc := range []struct {
		st   swarms.Status
		note string
	}{
		{swarms.Status{ID: id, State: swarms.StateSeeding, Live: true, LiveSource: true, Size: -1, Have: 10240, HaveChunks: 10}, "live source"},
		{swarms.Status{ID: id, State: swarms.StateDownloading, Live: true, Size: -1, Err: "no peer answered"}, "live: no peer answered"},
	} {
		l := SwarmLine(tc.st)
		info, err := ParseSwarmLine(l)
		if err != nil || info.Note != tc.note || info.Have != tc.st.Have || info.Size != 0 {
			t.Errorf("SwarmLine = %q, parsed %+v, %v; want note %q", l, info, err, tc.note)
		}
	}
}
