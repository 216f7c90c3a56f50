package httpgw

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests run real players against the gateway when they are installed, and skip
// otherwise. They use the fake manager; with the real one they belong in the end-to-end
// tests of `ppsppd serve`.

// encodeTestMedia makes two seconds of a test pattern (or a tone, for audio formats) with
// ffmpeg.
func encodeTestMedia(t *testing.T, ffmpeg, format, ext string, codec ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "testsrc."+ext)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	src := "testsrc=duration=2:size=160x120:rate=25"
	if strings.HasPrefix(codec[1], "lib") && codec[0] == "-c:a" {
		src = "sine=duration=2"
	}
	args := append([]string{"-v", "error", "-f", "lavfi", "-i", src}, codec...)
	cmd := exec.CommandContext(ctx, ffmpeg, append(args, "-f", format, out)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("ffmpeg cannot make a %s test file here: %v: %s", format, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ffprobe reads media through the gateway and finds their format and duration; the
// gateway's sniffed type matches what ffmpeg wrote. Content arrives only when a read waits
// for it (64 KiB from where the read waits), so every read of ffprobe's goes through a wait.
func TestFFprobeThroughGateway(t *testing.T) {
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		t.Skip("ffmpeg and ffprobe not on PATH: skipping the real-player test (install ffmpeg to run it)")
	}
	for i, tc := range []struct {
		format, ext, wantFormat, wantType string
		codec                             []string
	}{
		{"mp4", "mp4", "mp4", "video/mp4", []string{"-c:v", "mpeg4"}},
		{"mpegts", "ts", "mpegts", "video/mp2t", []string{"-c:v", "mpeg4"}},
		{"matroska", "mkv", "matroska", "video/x-matroska", []string{"-c:v", "mpeg4"}},
		{"webm", "webm", "webm", "video/webm", []string{"-c:v", "libvpx", "-deadline", "realtime"}},
		{"mp3", "mp3", "mp3", "audio/mpeg", []string{"-c:a", "libmp3lame"}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			media := encodeTestMedia(t, ffmpeg, tc.format, tc.ext, tc.codec...)
			m := newFakeManager()
			id := testID(byte(50 + i))
			f := newFakeSwarm(media, "")
			f.waiting = make(chan int64, 64)
			m.put(id, f)
			stop, stopped := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(stopped)
				for {
					select {
					case off := <-f.waiting:
						f.arrive(off, off+64*fakeChunk)
					case <-stop:
						return
					}
				}
			}()
			t.Cleanup(func() { close(stop); <-stopped })
			g := startGateway(t, m, Options{})

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "format=format_name,duration",
				"-of", "default=nw=1", g.base+"/"+id.String()).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v: %s", err, out)
			}
			if !strings.Contains(string(out), "format_name=") || !strings.Contains(string(out), tc.wantFormat) {
				t.Errorf("ffprobe: %s, want format %s", out, tc.wantFormat)
			}
			if !strings.Contains(string(out), "duration=2.") && !strings.Contains(string(out), "duration=1.9") {
				t.Errorf("ffprobe: %s, want a duration near 2 s", out)
			}
			if len(f.playbackPositions()) == 0 {
				t.Error("no reads went through the fake")
			}
			resp, body := g.do(t, "HEAD", "/"+id.String(), nil)
			if got := resp.Header.Get("Content-Type"); got != tc.wantType {
				t.Errorf("sniffed %q for ffmpeg's %s, want %q (%d-byte body)", got, tc.format, tc.wantType, len(body))
			}
		})
	}
}

// A headless browser opens the watch page and fetches the stream it points at.
func TestBrowserLoadsWatchPage(t *testing.T) {
	var browser string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium on PATH: skipping the browser test of /watch")
	}
	m := newFakeManager()
	id := testID(60)
	f := completeSwarm(append(ftypSample("isom"), bytes.Repeat([]byte{0}, 8*fakeChunk)...), "clip.mp4")
	m.put(id, f)
	g := startGateway(t, m, Options{})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
		"--autoplay-policy=no-user-gesture-required", "--virtual-time-budget=5000", "--dump-dom",
		g.base+"/watch/"+id.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", browser, err, out)
	}
	if !strings.Contains(string(out), "<video") {
		t.Errorf("dumped DOM has no <video>: %s", out)
	}
	if len(f.playbackPositions()) == 0 {
		t.Error("the browser did not read the stream")
	}
}
