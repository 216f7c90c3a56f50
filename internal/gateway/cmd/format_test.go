package cmdgw

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

func TestInfoLineMatchesLibswift(t *testing.T) {
	id := mustID(t, hexID)
	cases := []struct {
		st   swarms.Status
		want string
	}{
		{swarms.Status{ID: id, State: swarms.StateSeeding, Have: 1048699, Size: 1048699, DownRate: 571726.228298, Seeders: 1},
			"INFO " + hexID + " 4 1048699/1048699 571726.228298 0.000000 0 1"},
		// Size unknown but chunk count known: chunk-rounded, as libswift prints it.
		{swarms.Status{ID: id, State: swarms.StateAllocating, Size: -1, ChunkSize: 1024, TotalChunks: 1025, Seeders: 1},
			"INFO " + hexID + " 0 0/1049600 0.000000 0.000000 0 1"},
		{swarms.Status{ID: id, State: swarms.StateDownloading, Size: -1, Leechers: 1},
			"INFO " + hexID + " 3 0/0 0.000000 0.000000 1 0"},
	}
	for _, c := range cases {
		if got := InfoLine(c.st); got != c.want {
			t.Errorf("InfoLine = %q\nwant     %q", got, c.want)
		}
	}
	if got, want := HashCheckingInfoLine(id), "INFO "+hexID+" 2 0/0 0.000000 0.000000 0 0"; got != want {
		t.Errorf("HashCheckingInfoLine = %q, want %q", got, want)
	}
}

func TestPlayAndErrorLines(t *testing.T) {
	id := mustID(t, hexID)
	if got, want := PlayLine(id, "http://127.0.0.1:21080/"), "PLAY "+hexID+" http://127.0.0.1:21080/"+hexID; got != want {
		t.Errorf("PlayLine = %q, want %q", got, want)
	}
	if got, want := ErrorLine("", "bad parameter"), "ERROR 0000000000000000000000000000000000000000 bad parameter"; got != want {
		t.Errorf("ErrorLine = %q, want %q", got, want)
	}
	got := ErrorLine(id, "evil\r\nINFO forged\x00\xff"+strings.Repeat("x", 2000))
	if strings.ContainsAny(got, "\r\n\x00") || len(got) > 600 {
		t.Errorf("ErrorLine did not make one safe line: %q", got)
	}
}

func TestMoreInfoLineIsLibswiftJSON(t *testing.T) {
	id := mustID(t, hexID)
	peers := []swarms.Peer{
		{Addr: netip.MustParseAddrPort("127.0.0.1:20051"), RawUp: 30922, RawDown: 1138887, Down: 1048699},
		{Addr: netip.MustParseAddrPort("[::ffff:127.0.0.1]:20051"), RawUp: 73, RawDown: 86},
	}
	line := MoreInfoLine(id, peers, time.Unix(1795560869, 30030000))
	want := `MOREINFO ` + hexID + ` {"timestamp":"1795560869.03003", "channels":[{"ip": "127.0.0.1", "port": 20051, "raw_bytes_up": 30922, "raw_bytes_down": 1138887, "bytes_up": 0, "bytes_down": 1048699 }, {"ip": "127.0.0.1", "port": 20051, "raw_bytes_up": 73, "raw_bytes_down": 86, "bytes_up": 0, "bytes_down": 0 }], "raw_bytes_up": 30995, "raw_bytes_down": 1138973, "bytes_up": 0, "bytes_down": 1048699 }`
	if line != want {
		t.Errorf("MoreInfoLine =\n%s\nwant (the transcript's line)\n%s", line, want)
	}
	js := strings.TrimPrefix(line, "MOREINFO "+hexID+" ")
	if !json.Valid([]byte(js)) {
		t.Errorf("MOREINFO JSON is not valid: %s", js)
	}
	if empty := MoreInfoLine(id, nil, time.Unix(0, 0)); !json.Valid([]byte(strings.TrimPrefix(empty, "MOREINFO "+hexID+" "))) {
		t.Errorf("MOREINFO without channels is not valid JSON: %s", empty)
	}
}

func TestOurLines(t *testing.T) {
	id := mustID(t, hexID)
	st := swarms.Status{ID: id, State: swarms.StateDownloading, Have: 2048, Size: -1, ChunkSize: 1024, TotalChunks: 4,
		DownRate: 1234.56, UpRate: 0.4, Peers: 2, Err: "no peer answered;\nretrying"}
	line := SwarmLine(st)
	if want := "SWARM " + hexID + " downloading 2048/4096 1235 0 2 no peer answered; retrying"; line != want {
		t.Errorf("SwarmLine = %q, want %q", line, want)
	}
	info, err := ParseSwarmLine(line)
	if err != nil || info.ID != hexID || info.Have != 2048 || info.Size != 4096 || info.Peers != 2 || info.DownRate != 1235 ||
		info.Note != "no peer answered; retrying" {
		t.Errorf("ParseSwarmLine(%q) = %+v, %v", line, info, err)
	}
	p := swarms.Peer{Addr: netip.MustParseAddrPort("[::1]:7"), Up: 1, Down: 2, RawUp: 3, RawDown: 4, HaveChunks: 5, Seeder: true}
	if got, want := PeerLine(p), "PEER [::1]:7 seeder 5 1 2 3 4"; got != want {
		t.Errorf("PeerLine = %q, want %q", got, want)
	}
	if got, want := LimitLine("", swarms.Limits{Up: 1024}), "LIMIT global up=1024 down=0"; got != want {
		t.Errorf("LimitLine = %q, want %q", got, want)
	}
}
