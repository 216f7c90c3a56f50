package httpgw

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/multifile"
)

// multiSwarm is a multi-file swarm's content: the spec, then the files in path order.
func multiSwarm(t *testing.T, files map[string][]byte) ([]byte, *multifile.Spec) {
	t.Helper()
	var list []multifile.File
	for p, b := range files {
		list = append(list, multifile.File{Path: p, Size: int64(len(b))})
	}
	spec, err := multifile.New(list)
	if err != nil {
		t.Fatal(err)
	}
	content := spec.Encode()
	for _, f := range spec.Files() {
		content = append(content, files[f.Path]...)
	}
	return content, spec
}

func TestMultifileServesEachFileWithRanges(t *testing.T) {
	files := map[string][]byte{
		"media/a.ts":       randomContent(70_001, 1),
		"media/b/clip.mp4": randomContent(130_007, 2),
		"media/c d.txt":    []byte("hello, a file with a space in its name\n"),
	}
	content, _ := multiSwarm(t, files)
	m := newFakeManager()
	id := testID(40)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})

	for p, want := range files {
		resp, body := get(t, g, "/"+id.String()+"/"+strings.ReplaceAll(p, " ", "%20"), nil)
		wantStatus(t, resp, body, http.StatusOK)
		if !bytes.Equal(body, want) || resp.ContentLength != int64(len(want)) {
			t.Fatalf("%s: %d bytes (Content-Length %d), want the file's %d", p, len(body), resp.ContentLength, len(want))
		}
		if etag := resp.Header.Get("ETag"); etag != `"`+id.String()+"/"+p+`"` {
			t.Errorf("%s: ETag %s", p, etag)
		}
	}
	clip := files["media/b/clip.mp4"]
	resp, body := get(t, g, "/"+id.String()+"/media/b/clip.mp4", map[string]string{"Range": "bytes=1000-1999"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	if !bytes.Equal(body, clip[1000:2000]) {
		t.Fatal("range of the file: wrong bytes")
	}
	if cr := resp.Header.Get("Content-Range"); cr != "bytes 1000-1999/130007" {
		t.Fatalf("Content-Range %q, want the file's", cr)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
		t.Errorf("Content-Type %q, want video/mp4 from the file's name", ct)
	}
	resp, body = get(t, g, "/"+id.String()+"/media/a.ts", map[string]string{"Range": "bytes=-10"})
	wantStatus(t, resp, body, http.StatusPartialContent)
	if a := files["media/a.ts"]; !bytes.Equal(body, a[len(a)-10:]) {
		t.Fatal("suffix range of the file: wrong bytes")
	}

	// A path the spec does not name: 404, listing what it does.
	resp, body = get(t, g, "/"+id.String()+"/media/nope", nil)
	wantStatus(t, resp, body, http.StatusNotFound)
	if !strings.Contains(string(body), "media/b/clip.mp4") {
		t.Errorf("404 does not list the files: %q", body)
	}
	// The swarm itself is still served whole.
	resp, body = get(t, g, "/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) {
		t.Fatal("the whole swarm: wrong bytes")
	}
}

// A single-file swarm keeps the trailing name as a display name only.
func TestSingleFileNameIsStillADisplayName(t *testing.T) {
	content := randomContent(5000, 3)
	m := newFakeManager()
	id := testID(41)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	resp, body := get(t, g, "/"+id.String()+"/movie.mp4", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, content) || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("display name: %d bytes, type %q", len(body), resp.Header.Get("Content-Type"))
	}
}

func TestWatchPageListsFiles(t *testing.T) {
	content, _ := multiSwarm(t, map[string][]byte{"m/a.mp4": randomContent(3000, 4), "m/b c.txt": []byte("x")})
	m := newFakeManager()
	id := testID(42)
	m.put(id, completeSwarm(content, ""))
	g := startGateway(t, m, Options{})
	resp, body := get(t, g, "/watch/"+id.String(), nil)
	wantStatus(t, resp, body, http.StatusOK)
	page := string(body)
	for _, want := range []string{`href="/watch/` + id.String() + `/m/a.mp4"`, `href="/` + id.String() + `/m/b%20c.txt"`, "2 files"} {
		if !strings.Contains(page, want) {
			t.Errorf("watch page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<video") {
		t.Error("the whole multi-file swarm offered as a video")
	}
	resp, body = get(t, g, "/watch/"+id.String()+"/m/a.mp4", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `<video controls autoplay preload="auto" src="/`+id.String()+`/m/a.mp4"`) {
		t.Errorf("file's watch page has no video of the file:\n%s", body)
	}
}

// The spec is parsed from the swarm's first bytes once: later requests for its files do
// not read the swarm's start again (a seek far into a file must not wait for chunk 0).
func TestMultifileSpecIsReadOnce(t *testing.T) {
	files := map[string][]byte{"a.bin": randomContent(5_000, 3), "b.bin": randomContent(9_000, 4)}
	content, spec := multiSwarm(t, files)
	m := newFakeManager()
	id := testID(41)
	f := completeSwarm(content, "")
	m.put(id, f)
	g := startGateway(t, m, Options{})

	resp, body := get(t, g, "/"+id.String()+"/a.bin", nil)
	wantStatus(t, resp, body, http.StatusOK)
	readsOfSpec := func() int {
		n := 0
		for _, p := range f.playbackPositions() {
			if p < spec.Len() {
				n++
			}
		}
		return n
	}
	before := readsOfSpec()
	if before == 0 {
		t.Fatal("the first request did not read the spec at all")
	}
	for range 3 {
		resp, body = get(t, g, "/"+id.String()+"/b.bin", map[string]string{"Range": "bytes=100-199"})
		wantStatus(t, resp, body, http.StatusPartialContent)
		if !bytes.Equal(body, files["b.bin"][100:200]) {
			t.Fatal("range of b.bin: wrong bytes")
		}
	}
	if after := readsOfSpec(); after != before {
		t.Fatalf("reads inside the spec went from %d to %d: the spec was read again", before, after)
	}
}
