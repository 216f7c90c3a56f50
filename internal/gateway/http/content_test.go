package httpgw

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestFullGETEqualsContent(t *testing.T) {
	m := newFakeManager()
	content := randomContent(1048699, 1) // the transcript's c1MiB123.bin length
	id := testID(1)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})

	resp, body := get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Fatalf("body: %d bytes, differs from the content (%d bytes)", len(body), len(content))
	}
	for key, want := range map[string]string{
		"Content-Length": strconv.Itoa(len(content)),
		"Accept-Ranges":  "bytes",
		"ETag":           `"` + id.String() + `"`,
		"Content-Type":   octetStream,
	} {
		if got := resp.Header.Get(key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	if n := readersAfterReply(m.swarms[id]); n != 0 {
		t.Errorf("%d readers still open after the request", n)
	}
}

func TestRanges(t *testing.T) {
	m := newFakeManager()
	const size = 1048699
	content := randomContent(size, 2)
	id := testID(2)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	path := "/" + id.String()

	for _, tc := range []struct {
		rng        string
		code       int
		from, to   int // inclusive, for 206
		wantHeader string
	}{
		{rng: "bytes=0-99", code: 206, from: 0, to: 99},
		{rng: "bytes=1048000-", code: 206, from: 1048000, to: size - 1},
		{rng: "bytes=-123", code: 206, from: size - 123, to: size - 1},
		{rng: "bytes=5000-5000", code: 206, from: 5000, to: 5000},
		{rng: "bytes=1000-2000000", code: 206, from: 1000, to: size - 1}, // end clamped (RFC 9110 §14.1.2)
		{rng: "bytes=2000000-", code: 416, wantHeader: "bytes */" + strconv.Itoa(size)},
		{rng: "bytes=abc", code: 416},
		{rng: "bytes=99-0", code: 416},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			resp, body := get(t, g, path, map[string]string{"Range": tc.rng})
			wantStatus(t, resp, body, tc.code)
			if tc.code != 206 {
				if tc.wantHeader != "" && resp.Header.Get("Content-Range") != tc.wantHeader {
					t.Errorf("Content-Range %q, want %q", resp.Header.Get("Content-Range"), tc.wantHeader)
				}
				return
			}
			wantRange := fmt.Sprintf("bytes %d-%d/%d", tc.from, tc.to, size)
			if got := resp.Header.Get("Content-Range"); got != wantRange {
				t.Errorf("Content-Range %q, want %q", got, wantRange)
			}
			if !bytes.Equal(body, content[tc.from:tc.to+1]) {
				t.Errorf("body: %d bytes, not content[%d:%d]", len(body), tc.from, tc.to+1)
			}
			if got, want := resp.Header.Get("Content-Length"), strconv.Itoa(tc.to-tc.from+1); got != want {
				t.Errorf("Content-Length %s, want %s", got, want)
			}
		})
	}
}

func TestMultipleRanges(t *testing.T) {
	m := newFakeManager()
	content := randomContent(100_000, 3)
	id := testID(3)
	m.put(id, completeSwarm(content, "clip.mp4"))
	g := startGateway(t, m, Options{})

	resp, body := get(t, g, "/"+id.String(), map[string]string{"Range": "bytes=0-9,50000-50099,-5"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	mediaType, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/byteranges" {
		t.Fatalf("Content-Type %q (%v), want multipart/byteranges", resp.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	want := [][2]int{{0, 10}, {50000, 50100}, {99995, 100000}}
	for i, w := range want {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		got, err := io.ReadAll(part)
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if !bytes.Equal(got, content[w[0]:w[1]]) {
			t.Errorf("part %d: %d bytes, not content[%d:%d]", i, len(got), w[0], w[1])
		}
		wantCR := fmt.Sprintf("bytes %d-%d/%d", w[0], w[1]-1, len(content))
		if cr := part.Header.Get("Content-Range"); cr != wantCR {
			t.Errorf("part %d: Content-Range %q, want %q", i, cr, wantCR)
		}
		if ct := part.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Errorf("part %d: Content-Type %q, want video/mp4", i, ct)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after %d parts: %v, want io.EOF", len(want), err)
	}
}

func TestHEAD(t *testing.T) {
	m := newFakeManager()
	content := randomContent(70_000, 4)
	id := testID(4)
	m.put(id, completeSwarm(content, "movie.webm"))
	g := startGateway(t, m, Options{})

	resp, body := g.do(t, http.MethodHead, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if len(body) != 0 {
		t.Errorf("HEAD body: %d bytes", len(body))
	}
	if resp.ContentLength != int64(len(content)) {
		t.Errorf("Content-Length %d, want %d", resp.ContentLength, len(content))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/webm" {
		t.Errorf("Content-Type %q, want video/webm (from the name)", ct)
	}
	resp, body = g.do(t, http.MethodHead, "/"+id.String(), map[string]string{"Range": "bytes=100-199"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	if resp.Header.Get("Content-Range") != "bytes 100-199/70000" || resp.ContentLength != 100 {
		t.Errorf("HEAD with Range: Content-Range %q, Content-Length %d", resp.Header.Get("Content-Range"), resp.ContentLength)
	}
}

func TestConditionalRequests(t *testing.T) {
	m := newFakeManager()
	content := randomContent(10_000, 5)
	id := testID(5)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	path, etag := "/"+id.String(), `"`+id.String()+`"`

	resp, body := get(t, g, path, map[string]string{"Range": "bytes=10-19", "If-Range": etag})
	wantStatus(t, resp, body, http.StatusPartialContent)
	if !bytes.Equal(body, content[10:20]) {
		t.Errorf("If-Range matching: body %x, want content[10:20]", body)
	}

	resp, body = get(t, g, path, map[string]string{"Range": "bytes=10-19", "If-Range": `"someotherversion"`})
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Errorf("If-Range not matching: %d bytes, want the whole content", len(body))
	}

	resp, body = get(t, g, path, map[string]string{"If-None-Match": etag})
	wantStatus(t, resp, body, http.StatusNotModified)

	resp, body = get(t, g, path, map[string]string{"If-Match": `"someotherversion"`})
	wantStatus(t, resp, body, http.StatusPreconditionFailed)
}

func TestBadRequests(t *testing.T) {
	m := newFakeManager()
	g := startGateway(t, m, Options{})
	unknown := testID(6)

	for _, tc := range []struct {
		path     string
		code     int
		contains []string
	}{
		{"/" + unknown.String(), 404, []string{"not in this daemon", "ppsppd add tswift://IP:PORT/" + unknown.String(), "?peer=IP:PORT"}},
		{"/nothex", 400, []string{"want hex digits"}},
		{"/abc", 400, []string{"want hex digits"}}, // odd length
		{"/", 400, []string{"/SWARMHEX"}},
		{"/" + unknown.String() + "$0", 400, []string{"chunk size"}},
		{"/" + unknown.String() + "?cs=x", 400, []string{"cs="}},
		{"/" + unknown.String() + "?hf=9", 400, []string{"hf="}},
		{"/" + unknown.String() + "?peer=nohost", 400, []string{"peer="}},
		{"/" + unknown.String() + "?mt=%00", 400, []string{"mt="}},
		{"/" + strings.Repeat("ab", 1025), 400, []string{"too long"}},
		{"/watch/zz", 400, []string{"want hex digits"}},
	} {
		t.Run(tc.path[:min(len(tc.path), 40)], func(t *testing.T) {
			resp, body := get(t, g, tc.path, nil)
			wantStatus(t, resp, body, tc.code)
			for _, s := range tc.contains {
				if !strings.Contains(string(body), s) {
					t.Errorf("body %q lacks %q", body, s)
				}
			}
		})
	}

	resp, body := g.do(t, http.MethodPost, "/"+unknown.String(), nil)
	wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	if resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow %q", resp.Header.Get("Allow"))
	}
	if specs := m.addedSpecs(); len(specs) != 0 {
		t.Errorf("bad requests added swarms: %+v", specs)
	}
}
