package cmdgw

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

const hexID = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"

func mustID(t *testing.T, s string) swarms.ID {
	t.Helper()
	id, err := swarms.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestParseLineCommands(t *testing.T) {
	id := mustID(t, hexID)
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		line string
		want Command
	}{
		{"REMOVE " + hexID + " 0 0", Remove{ID: id}},
		{"REMOVE " + hexID + " 1 1\r", Remove{ID: id, Opts: swarms.RemoveOptions{DeleteState: true, DeleteContent: true}}},
		{"MAXSPEED " + hexID + " DOWNLOAD 512.0", MaxSpeed{ID: id, Rate: 512 * 1024}},
		{"MAXSPEED " + hexID + " UPLOAD 256.0", MaxSpeed{ID: id, Up: true, Rate: 256 * 1024}},
		{"CHECKPOINT " + hexID, Checkpoint{ID: id}},
		{"SETMOREINFO " + hexID + " 1", SetMoreInfo{ID: id, On: true}},
		{"SETMOREINFO " + hexID + " 0", SetMoreInfo{ID: id}},
		{"SHUTDOWN", Shutdown{}},
		{"shutdown", Shutdown{}},
		{"PEERADDR " + hexID + " 127.0.0.1:20051", PeerAddr{ID: id, Addr: "127.0.0.1:20051"}},
		{"LIST", List{}},
		{"LIST " + hexID, List{ID: id}},
		{"PEERS " + hexID, Peers{ID: id}},
		{"LIMIT", Limit{}},
		{"LIMIT global up=1k", Limit{Up: f(1024)}},
		{"LIMIT " + hexID + " down=2M up=0", Limit{ID: id, Down: f(2 << 20), Up: f(0)}},
		{"RM " + hexID, Rm{ID: id}},
		{"RM " + hexID + " delete", Rm{ID: id, Delete: true}},
		{"HELP", Help{}},
		{"BOOSTER", Booster{}},
		{"booster swarms", Booster{What: "SWARMS"}},
		{"VERSION", Version{}},
		{"", nil},
		{"   \r", nil},
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
}

func TestParseLineStartAndAdd(t *testing.T) {
	got, err := ParseLine("START tswift://127.0.0.1:20051/" + hexID + " /tmp/dest /tmp/meta")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := got.(Start)
	if !ok || s.Link.Peer != "127.0.0.1:20051" || s.Dest != "/tmp/dest" || s.MetaDir != "/tmp/meta" || s.Link.ChunkSize != 1024 {
		t.Errorf("START parsed as %#v", got)
	}
	spec := addSpec(s.Link, s.Dest)
	if spec.ID != mustID(t, hexID) || len(spec.Peers) != 1 || spec.Size != -1 || spec.Hash != "" || spec.Dest != "/tmp/dest" {
		t.Errorf("AddSpec from START = %+v", spec)
	}
	got, err = ParseLine("ADD tswift:/" + hexID + "$8192 peer=127.0.0.1:1 peer=[::1]:2 dest=sub/x")
	if err != nil {
		t.Fatal(err)
	}
	a, ok := got.(Add)
	if !ok || a.Link.ChunkSize != 8192 || !reflect.DeepEqual(a.Peers, []string{"127.0.0.1:1", "[::1]:2"}) || a.Dest != "sub/x" {
		t.Errorf("ADD parsed as %#v", got)
	}
}

func TestParseLineErrors(t *testing.T) {
	cases := []struct {
		line string
		kind ErrorKind
	}{
		{"BOGUSCOMMAND x", UnknownCommand},
		{"TUNNELSEND 127.0.0.1:1/0000ffff 3", UnknownCommand},
		{"START nonsense", BadParameter},
		{"START", MissingParameter},
		{"START tswift:///" + hexID + " a b c", BadParameter},
		{"MAXSPEED", MissingParameter},
		{"MAXSPEED " + hexID + " DOWNLOAD", MissingParameter},
		{"MAXSPEED " + hexID + " SIDEWAYS 1", BadParameter},
		{"MAXSPEED " + hexID + " UPLOAD fast", BadParameter},
		{"MAXSPEED " + hexID + " UPLOAD -1", BadParameter},
		{"MAXSPEED " + hexID + " UPLOAD NaN", BadParameter},
		{"MAXSPEED " + hexID + " UPLOAD Inf", BadParameter},
		{"REMOVE zz 0 0", BadParameter},
		{"REMOVE " + hexID + " 0", MissingParameter},
		{"REMOVE " + hexID + " 0 2", BadParameter},
		{"REMOVE " + hexID + " 0 0 0", BadParameter},
		{"CHECKPOINT", MissingParameter},
		{"CHECKPOINT abc", BadParameter}, // odd number of hex digits
		{"CHECKPOINT " + strings.Repeat("ab", 2000), BadParameter},
		{"SETMOREINFO " + hexID + " yes", BadParameter},
		{"SHUTDOWN now", BadParameter},
		{"PEERADDR " + hexID + " nowhere", BadParameter},
		{"PEERADDR " + hexID + " host:0", BadParameter},
		{"LIST a b", BadParameter},
		{"PEERS", MissingParameter},
		{"LIMIT up=1 " + hexID, BadParameter},
		{"LIMIT side=1", BadParameter},
		{"LIMIT up=1 up=2", BadParameter},
		{"LIMIT up=-3", BadParameter},
		{"ADD", MissingParameter},
		{"ADD " + hexID + " peer=x", BadParameter},
		{"ADD " + hexID + " bogus", BadParameter},
		{"RM " + hexID + " now", BadParameter},
		{"VERSION 2", BadParameter},
		{"LIST\x00", BadParameter},
		{"\xff\xfe garbage", BadParameter},
		{"LIST\x1b[2J", BadParameter},
	}
	for _, c := range cases {
		got, err := ParseLine(c.line)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseLine(%q) = %#v, %v; want a *ParseError", c.line, got, err)
			continue
		}
		if pe.Kind != c.kind {
			t.Errorf("ParseLine(%q): kind %v, want %v (%v)", c.line, pe.Kind, c.kind, err)
		}
		if !strings.HasPrefix(err.Error(), c.kind.String()) {
			t.Errorf("ParseLine(%q): error %q does not begin with libswift's %q", c.line, err, c.kind)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"0": 0, "1000": 1000, "1.5k": 1536, "2M": 2 << 20, "1g": 1 << 30} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "-1", "x", "1T", "NaN"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted", in)
		}
	}
}
