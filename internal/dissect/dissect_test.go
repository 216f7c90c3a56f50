package dissect

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/wire"
)

func readCapture(t *testing.T, name string) []capture.Record {
	t.Helper()
	recs, err := capture.ReadFile(filepath.Join("..", "..", "testdata", "interop", name))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// counts lists, per capture, the message counts that ../shared/interop/README.md gives.
var captures = []struct {
	file   string
	counts map[wire.MsgType]int
}{
	{"vod-1025B-sha1-1024.hex.txt", map[wire.MsgType]int{
		wire.TypeHandshake: 3, wire.TypeHave: 3, wire.TypeRequest: 2, wire.TypePexReq: 1,
		wire.TypeIntegrity: 2, wire.TypeData: 2, wire.TypeAck: 2}},
	{"vod-1025B-sha1-1024.pcap", nil}, // same session as the hex dump
	{"vod-1MiB123-sha1-1024.pcap", map[wire.MsgType]int{
		wire.TypeHandshake: 3, wire.TypeHave: 1027, wire.TypeRequest: 12, wire.TypePexReq: 1,
		wire.TypeIntegrity: 2353, wire.TypeData: 1025, wire.TypeAck: 1025}},
	{"live-umt-ecdsap256-1024.hex.txt", map[wire.MsgType]int{
		wire.TypeHandshake: 3, wire.TypeHave: 166, wire.TypePexReq: 6, wire.TypeIntegrity: 293,
		wire.TypeSignedIntegrity: 6, wire.TypeRequest: 48, wire.TypeData: 160, wire.TypeAck: 160}},
	{"live-umt-ecdsap256-1024.pcap", nil},
}

// TestCapturesDecodeAndReencode is the interop check of the codec: every datagram libswift
// sent decodes completely, in its channel's negotiated context, and encodes back to the
// identical bytes; the message counts are the documented ones.
func TestCapturesDecodeAndReencode(t *testing.T) {
	for _, tc := range captures {
		t.Run(tc.file, func(t *testing.T) {
			recs := readCapture(t, tc.file)
			tr := NewTracker(wire.DefaultContext())
			var counts [wire.NumMsgTypes]int
			for _, rec := range recs {
				d := tr.Decode(rec)
				if d.Err != nil {
					t.Fatalf("datagram #%d: %v", rec.Index, d.Err)
				}
				for _, m := range d.Datagram.Messages {
					counts[m.Type()]++
				}
				c := d.Context
				out, err := wire.AppendDatagram(nil, d.Datagram.Channel, &c, d.Datagram.Messages...)
				if err != nil {
					t.Fatalf("datagram #%d: re-encode: %v", rec.Index, err)
				}
				if !bytes.Equal(out, rec.Payload) {
					t.Fatalf("datagram #%d: re-encoded bytes differ\n got %x\nwant %x", rec.Index, out, rec.Payload)
				}
			}
			for typ, want := range tc.counts {
				if counts[typ] != want {
					t.Errorf("%v: %d messages, want %d", typ, counts[typ], want)
				}
			}
		})
	}
}

// TestVODCaptureSemantics checks what the interop README asserts beyond decoding: the
// first handshake's exact options, the close at the end, and that the DATA payloads
// reassemble content whose Merkle root is the swarm ID.
func TestVODCaptureSemantics(t *testing.T) {
	recs := readCapture(t, "vod-1025B-sha1-1024.hex.txt")
	tr := NewTracker(wire.DefaultContext())
	first := tr.Decode(recs[0])
	h := first.Datagram.Messages[0].(*wire.Handshake)
	opts, err := h.Options.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOpts := "0001" + "0101" + "020014706da5efff5fc145dac4361f970b9bd2afc21861" + "0301" + "0400" + "0602" + "ff"
	if got := hex.EncodeToString(opts); first.Datagram.Channel != 0 || got != wantOpts {
		t.Fatalf("first handshake options %s", got)
	}
	content := make([]byte, 1025)
	got := 0
	for _, rec := range recs[1:] {
		d := tr.Decode(rec)
		for _, m := range d.Datagram.Messages {
			if dm, ok := m.(*wire.Data); ok {
				copy(content[dm.Spec.Start*1024:], dm.Payload)
				got += len(dm.Payload)
			}
		}
	}
	if got != 1025 {
		t.Fatalf("DATA carried %d bytes", got)
	}
	// Two chunks: root = SHA1(SHA1(chunk0) || SHA1(chunk1)).
	l, r := sha1.Sum(content[:1024]), sha1.Sum(content[1024:])
	root := sha1.Sum(append(l[:], r[:]...))
	if hex.EncodeToString(root[:]) != "706da5efff5fc145dac4361f970b9bd2afc21861" {
		t.Fatalf("reassembled content has root %x", root)
	}
	last := tr.Decode(recs[len(recs)-1])
	if c, ok := last.Datagram.Messages[0].(*wire.Handshake); !ok || !c.IsClose() || !c.Options.Empty() {
		t.Fatalf("last datagram is not a close: %+v", last.Datagram.Messages)
	}
}

// TestLiveCaptureSignatures checks the live session's negotiated context: a 65-byte swarm ID
// and 64-byte ECDSA P-256 signatures over 32-chunk munros.
func TestLiveCaptureSignatures(t *testing.T) {
	tr := NewTracker(wire.DefaultContext())
	n := 0
	for _, rec := range readCapture(t, "live-umt-ecdsap256-1024.hex.txt") {
		d := tr.Decode(rec)
		for _, m := range d.Datagram.Messages {
			if s, ok := m.(*wire.SignedIntegrity); ok {
				n++
				if len(s.Signature) != 64 || s.Spec.End-s.Spec.Start+1 != 32 || s.Spec.Start%32 != 0 {
					t.Fatalf("#%d: signed integrity %s sig %d bytes", rec.Index, wire.FormatSpec(wire.ChunkRange32, s.Spec), len(s.Signature))
				}
			}
		}
		if len(d.After.SwarmID) != 65 && rec.Index > 1 {
			t.Fatalf("#%d: swarm ID %d bytes", rec.Index, len(d.After.SwarmID))
		}
	}
	if n != 6 {
		t.Fatalf("%d SIGNED_INTEGRITY messages", n)
	}
}

func TestRunTextAndJSON(t *testing.T) {
	recs := readCapture(t, "vod-1025B-sha1-1024.hex.txt")
	var text bytes.Buffer
	sum, err := Run(&text, recs, Options{Base: wire.DefaultContext()})
	if err != nil || sum.Failed != 0 || sum.Datagrams != len(recs) {
		t.Fatalf("%v %v", sum, err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	msgs := 0
	for _, n := range sum.Messages {
		msgs += n
	}
	if len(lines) != msgs+countKeepalives(recs) {
		t.Fatalf("%d lines for %d messages:\n%s", len(lines), msgs, text.String())
	}
	if !strings.Contains(lines[0], "HANDSHAKE src=8d86f21a version=1 min_version=1 swarm_id=706da5ef…1861(20B) integrity=merkle hash_func=sha1 addressing=chunk32") {
		t.Fatalf("first line: %s", lines[0])
	}
	if !strings.Contains(text.String(), "INTEGRITY chunks 0-1 706da5ef…1861(20B)") || !strings.Contains(text.String(), "DATA chunks 1-1 ts=") {
		t.Fatalf("text output lacks INTEGRITY/DATA lines:\n%s", text.String())
	}

	var js bytes.Buffer
	if _, err := Run(&js, recs, Options{JSON: true, Base: wire.DefaultContext()}); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&js)
	var first DatagramJSON
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if first.Index != 1 || first.Channel != "00000000" || first.Messages[0].Type != "HANDSHAKE" ||
		first.Messages[0].Options["swarm_id"] != "706da5efff5fc145dac4361f970b9bd2afc21861" || first.Messages[0].SourceChannel != "8d86f21a" {
		t.Fatalf("%+v", first)
	}
}

func TestRunReportsFailures(t *testing.T) {
	recs := []capture.Record{
		{Index: 1, Src: "a", Dst: "b", Payload: []byte{0, 0, 0, 1, 3, 0, 0}},
		{Index: 2, Src: "a", Dst: "b", Payload: []byte{0, 0, 0, 1}},
		{Index: 3, Src: "a", Dst: "b", Payload: []byte{0, 0, 0, 1, 0x42}},
	}
	var out bytes.Buffer
	sum, err := Run(&out, recs, Options{Base: wire.DefaultContext()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 || !strings.HasPrefix(sum.FirstFailure, "datagram #1: ") || !strings.Contains(sum.FirstFailure, "truncated") {
		t.Fatalf("%+v", sum)
	}
	if !strings.Contains(out.String(), "#3 ") || !strings.Contains(out.String(), "unknown message type") || !strings.Contains(out.String(), "KEEPALIVE") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func countKeepalives(recs []capture.Record) int {
	n := 0
	for _, r := range recs {
		if len(r.Payload) == wire.HeaderLen {
			n++
		}
	}
	return n
}
