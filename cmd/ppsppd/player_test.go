package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needProgram skips the test when a program it drives is not installed (.ci/run installs
// them, so CI never skips).
func needProgram(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Skipf("%s is not installed (apt-get install ffmpeg chromium); skipping", n)
		}
	}
}

// makeMP4 encodes an H.264/AAC MP4 from ffmpeg's test sources; faststart puts the moov
// atom first, otherwise it is at the end (the hard case for streaming).
func makeMP4(t *testing.T, path string, seconds int, faststart bool) {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=640x360:rate=25:duration=%d", seconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=%d", seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-b:v", "1500k", "-c:a", "aac", "-shortest"}
	if faststart {
		args = append(args, "-movflags", "+faststart")
	}
	out, err := exec.Command("ffmpeg", append(args, path)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}

// decodeHash decodes 2 s from the middle of a video (file or URL) to raw frames and hashes
// them, so the stream through the gateway can be compared with the original.
func decodeHash(t *testing.T, input string, at int) string {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-ss", fmt.Sprint(at), "-i", input,
		"-t", "2", "-an", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("decoding %s: %v (%d bytes)\n%s", input, err, len(out), stderr.String())
	}
	return fmt.Sprintf("%x", sha256.Sum256(out))
}

// TestPlayersThroughHTTPGateway: one daemon seeds MP4 files (moov at the end, and
// faststart) over UDP with an upload cap; a second daemon that has none of them serves them
// over its HTTP gateway while it downloads. ffprobe finds the duration and streams, ffmpeg
// decodes the middle of the video to the same frames as the original, and random Range
// reads (Go's client and curl) return the source bytes.
func TestPlayersThroughHTTPGateway(t *testing.T) {
	needProgram(t, "ffmpeg", "ffprobe", "curl")
	for _, faststart := range []bool{false, true} {
		t.Run(fmt.Sprintf("faststart=%v", faststart), func(t *testing.T) {
			seedState := t.TempDir()
			seeder := startDaemon(t, seedState, "[limits]\nupload = \"1MiB\"\n")
			src := filepath.Join(seedState, "content", "movie.mp4")
			if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
				t.Fatal(err)
			}
			makeMP4(t, src, 20, faststart)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			out, err := seeder.ctl(t, "add", src)
			if err != nil {
				t.Fatalf("seed: %v\n%s", err, out)
			}
			id := strings.Fields(out)[0]
			player := startDaemon(t, t.TempDir(), "")
			url := fmt.Sprintf("http://%s/%s?peer=%s", player.http, id, seeder.udp)

			start := time.Now()
			probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name",
				"-of", "default=nw=1", url).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe through the gateway: %v\n%s", err, probe)
			}
			ls, _ := player.ctl(t, "ls")
			t.Logf("ffprobe took %v for %d bytes at 1 MiB/s; then: %s", time.Since(start), len(data), strings.TrimSpace(ls))
			for _, want := range []string{"codec_name=h264", "codec_name=aac", "duration=20."} {
				if !strings.Contains(string(probe), want) {
					t.Errorf("ffprobe output lacks %q:\n%s", want, probe)
				}
			}
			if got, want := decodeHash(t, url, 10), decodeHash(t, src, 10); got != want {
				t.Errorf("frames decoded through the gateway differ from the original's")
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range 8 {
				lo := r.IntN(len(data) - 1)
				hi := min(lo+r.IntN(200_000), len(data)-1)
				req, _ := http.NewRequest("GET", url, nil)
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", lo, hi))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[lo:hi+1]) {
					t.Fatalf("Range %d-%d: status %d, %d bytes, err %v", lo, hi, resp.StatusCode, len(body), err)
				}
				c, err := exec.Command("curl", "-sf", "-r", fmt.Sprintf("%d-%d", lo, hi), url).Output()
				if err != nil || !bytes.Equal(c, data[lo:hi+1]) {
					t.Fatalf("curl -r %d-%d: %d bytes, %v", lo, hi, len(c), err)
				}
			}
		})
	}
}
