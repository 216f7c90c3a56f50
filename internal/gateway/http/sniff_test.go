package httpgw

import (
	"bytes"
	"net/http"
	"slices"
	"testing"
)

// Hand-made starts of each container, as their specifications lay them out.
func mpegTSSample() []byte {
	var b []byte
	for range 4 {
		pkt := bytes.Repeat([]byte{0xFF}, 188)
		copy(pkt, []byte{0x47, 0x40, 0x00, 0x10, 0x00}) // sync byte, PUSI, PID 0 (PAT)
		b = append(b, pkt...)
	}
	return b
}

func m2tsSample() []byte {
	var b []byte
	for range 3 {
		pkt := bytes.Repeat([]byte{0xFF}, 192)
		copy(pkt, []byte{0x00, 0x01, 0x02, 0x03, 0x47, 0x40, 0x00, 0x10}) // 4-byte timestamp, then a TS packet
		b = append(b, pkt...)
	}
	return b
}

func ebmlSample(docType string) []byte {
	body := []byte{0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01} // EBMLVersion 1, EBMLReadVersion 1
	body = append(body, 0x42, 0x82, 0x80|byte(len(docType)))       // DocType, size as a 1-byte vint
	body = append(body, docType...)
	b := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x80 | byte(len(body))}, body...)
	return append(b, 0x18, 0x53, 0x80, 0x67) // Segment
}

func ftypSample(brand string) []byte {
	b := []byte{0x00, 0x00, 0x00, 0x18}
	b = append(b, "ftyp"+brand+"\x00\x00\x02\x00isomiso2"...)
	return append(b, 0x00, 0x00, 0x00, 0x08, 'f', 'r', 'e', 'e')
}

var sniffCases = []struct {
	name   string
	sample []byte
	want   string
}{
	{"MPEG-TS", mpegTSSample(), "video/mp2t"},
	{"BDAV M2TS", m2tsSample(), "video/mp2t"},
	{"Matroska", ebmlSample("matroska"), "video/x-matroska"},
	{"WebM", ebmlSample("webm"), "video/webm"},
	{"MP4", ftypSample("isom"), "video/mp4"},
	{"QuickTime", ftypSample("qt  "), "video/quicktime"},
	{"M4A", ftypSample("M4A "), "audio/mp4"},
	{"MP3 with ID3", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), 0xFF, 0xFB, 0x90, 0x64), "audio/mpeg"},
	{"MP3 frame", append([]byte{0xFF, 0xFB, 0x90, 0x64}, make([]byte, 413)...), "audio/mpeg"},
	{"Ogg", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), "application/ogg"},
	{"bytes", randomContent(600, 30), octetStream},
}

func TestSniffType(t *testing.T) {
	for _, tc := range sniffCases {
		if got := sniffType(tc.sample); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name   string
		sample []byte
	}{
		{"ADTS AAC (layer 0)", []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC}},
		{"one TS sync byte only", []byte{0x47, 0x40, 0x00, 0x10}},
		{"TS sync then garbage", append(mpegTSSample()[:188], 0x00)},
		{"empty", nil},
	} {
		if got := sniffType(tc.sample); got == "audio/mpeg" || got == "video/mp2t" || got == "" {
			t.Errorf("%s: %q", tc.name, got)
		}
	}
}

func TestEBMLDocTypeMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82},             // DocType ID with no size
		{0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x00},       // invalid vint
		{0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x88, 'w'},  // size past the end
		{0x1A, 0x45, 0xDF, 0xA3, 0x42, 0x82, 0x01, 0xFF}, // 8-byte vint, truncated
	} {
		if got := ebmlDocType(b); got != "" {
			t.Errorf("ebmlDocType(%x) = %q, want \"\"", b, got)
		}
	}
}

func TestTypeByName(t *testing.T) {
	for name, want := range map[string]string{
		"a.ts": "video/mp2t", "A.MKV": "video/x-matroska", "b.webm": "video/webm", "c.mp4": "video/mp4",
		"d.mp3": "audio/mpeg", "noext": "", "e.bin": "", "": "",
	} {
		if got := typeByName(name); got != want {
			t.Errorf("typeByName(%q) = %q, want %q", name, got, want)
		}
	}
}

// Over HTTP: a swarm without a file name gets the sniffed type of its first bytes; ?mt=
// and a name win over sniffing.
func TestContentTypeOverHTTP(t *testing.T) {
	m := newFakeManager()
	g := startGateway(t, m, Options{})
	for i, tc := range sniffCases {
		id := testID(byte(100 + i))
		content := append(slices.Clone(tc.sample), randomContent(5*fakeChunk, uint64(i))...)
		m.put(id, completeSwarm(content, ""))
		resp, body := get(t, g, "/"+id.String(), nil)
		wantStatus(t, resp, body, http.StatusOK)
		if got := resp.Header.Get("Content-Type"); got != tc.want {
			t.Errorf("%s: Content-Type %q, want %q", tc.name, got, tc.want)
		}
		if !bytes.Equal(body, content) {
			t.Errorf("%s: body differs", tc.name)
		}
	}

	id := testID(99)
	m.put(id, completeSwarm(mpegTSSample(), "show.mkv"))
	for path, want := range map[string]string{
		"/" + id.String():                         "video/x-matroska", // the swarm's name
		"/" + id.String() + "/x.mp4":              "video/mp4",        // the path's name
		"/" + id.String() + "?mt=video/mp2t":      "video/mp2t",
		"/" + id.String() + "/x.mp4?mt=audio/ogg": "audio/ogg",
	} {
		resp, body := get(t, g, path, nil)
		wantStatus(t, resp, body, http.StatusOK)
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("%s: Content-Type %q, want %q", path, got, want)
		}
	}
}

// Once a swarm's type is sniffed, a seek does not have to wait for its first chunk.
func TestSniffedTypeIsRemembered(t *testing.T) {
	m := newFakeManager()
	g := startGateway(t, m, Options{})
	id := testID(98)
	content := append(mpegTSSample(), randomContent(30*fakeChunk, 98)...)
	f := completeSwarm(content, "")
	m.put(id, f)

	resp, body := get(t, g, "/"+id.String(), map[string]string{"Range": "bytes=0-0"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	before := len(f.playbackPositions())
	resp, body = get(t, g, "/"+id.String(), map[string]string{"Range": "bytes=20000-20099"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	if got := resp.Header.Get("Content-Type"); got != "video/mp2t" {
		t.Errorf("Content-Type %q, want video/mp2t", got)
	}
	if pos := f.playbackPositions()[before:]; slices.Contains(pos, 0) {
		t.Errorf("the seek read at 0 again (positions %v)", pos)
	}
}
