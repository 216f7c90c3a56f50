package httpgw

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Whatever a client puts in the path and query, parsing answers with a request or an
// error, never a panic; a request it accepts names a swarm.
func FuzzParseContentRequest(f *testing.F) {
	for _, s := range [][2]string{
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45", ""},
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45$1024", "t=127.0.0.1:20051"},
		{"f86b2d68d56e7457f1be8d35c7f492a228c3aa45/film.mp4", "cs=4096&cl=100&hf=2&mt=video/mp4&peer=[::1]:7000"},
		{"nothex", ""}, {"$", "cs=0"}, {"ab/", "mt=%zz"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, query string) {
		req, err := parseContentRequest(path, query)
		if err == nil && req.id == "" {
			t.Errorf("parseContentRequest(%q, %q) accepted no swarm ID", path, query)
		}
	})
}

// Sniffing any first bytes gives a type.
func FuzzSniffType(f *testing.F) {
	for _, tc := range sniffCases {
		f.Add(tc.sample)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if sniffType(b) == "" {
			t.Errorf("sniffType(%x) = \"\"", b)
		}
	})
}

// Whatever Range and If-Range headers a client sends, the gateway answers 200, 206 or 416
// (never a panic, never another status), and a 206 carries exactly the bytes its
// Content-Range names, each range of a multipart answer included.
func FuzzRangeHeader(f *testing.F) {
	for _, s := range [][2]string{
		{"bytes=0-99", ""}, {"bytes=-500", ""}, {"bytes=1048000-", ""}, {"bytes=0-0,5-9,-1", ""},
		{"bytes=99999999-", ""}, {"bytes=5-1", ""}, {"bytes=", ""}, {"items=0-1", ""},
		{"bytes=0-99", `"f86b"`}, {"bytes=0-99", "Mon, 02 Jan 2006 15:04:05 GMT"},
	} {
		f.Add(s[0], s[1])
	}
	content := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80,000 bytes, many chunks
	m := newFakeManager()
	id := testID(7)
	m.put(id, completeSwarm(content, "clip.mp4"))
	s := New(m, Options{BaseURL: "http://127.0.0.1:1"})
	f.Fuzz(func(t *testing.T, rng, ifRange string) {
		req := httptest.NewRequest("GET", "/"+id.String(), nil)
		req.Header.Set("Range", rng)
		if ifRange != "" {
			req.Header.Set("If-Range", ifRange)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
			if !bytes.Equal(body, content) {
				t.Fatalf("Range %q: 200 with %d bytes, want the whole %d", rng, len(body), len(content))
			}
		case http.StatusRequestedRangeNotSatisfiable:
		case http.StatusPartialContent:
			checkPartial(t, rng, rec.Header(), body, content)
		default:
			t.Fatalf("Range %q If-Range %q: status %d", rng, ifRange, rec.Code)
		}
	})
}

// checkPartial checks a 206 answer's ranges against the content.
func checkPartial(t *testing.T, rng string, h http.Header, body, content []byte) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mediaType != "multipart/byteranges" {
		checkRange(t, rng, h.Get("Content-Range"), body, content)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("Range %q: multipart: %v", rng, err)
		}
		part, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("Range %q: multipart part: %v", rng, err)
		}
		checkRange(t, rng, p.Header.Get("Content-Range"), part, content)
	}
}

func checkRange(t *testing.T, rng, cr string, got, content []byte) {
	t.Helper()
	var lo, hi, size int
	if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &lo, &hi, &size); err != nil {
		t.Fatalf("Range %q: Content-Range %q: %v", rng, cr, err)
	}
	if size != len(content) || lo < 0 || hi < lo || hi >= size || !bytes.Equal(got, content[lo:hi+1]) {
		t.Fatalf("Range %q: Content-Range %q with %d bytes that are not the content's", rng, cr, len(got))
	}
}
