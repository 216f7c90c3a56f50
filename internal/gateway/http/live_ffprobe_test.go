package httpgw

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ffmpegLiveTS is ffmpeg's test pattern as MPEG-TS, what `ppsppd live` is fed in the
// issue's demo; the test is skipped where ffmpeg is absent.
func ffmpegLiveTS(t *testing.T, seconds string) []byte {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH: skipping the live stream test with real MPEG-TS")
	}
	out, err := exec.Command(path, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=160x120:rate=25", "-t", seconds, "-f", "mpegts", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	return out
}

// ffprobe reads a live stream of real MPEG-TS, cut into 1024-byte chunks, from the
// gateway, and finds its video.
func TestLiveFFprobe(t *testing.T) {
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe not on PATH: skipping")
	}
	stream := ffmpegLiveTS(t, "10")
	m := newFakeManager()
	id := liveID(10)
	buf, cs := newLiveSwarm(stream, 16, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{})

	// The rest of the stream arrives once ffprobe is streaming: it joins mid-stream, 8
	// chunks behind the edge, and must find the programs and the video from there.
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		waitLiveStreams(g, 1)
		<-feed(buf, cs, 16, len(cs))
	}()
	// A bound in case ffprobe waits for more than the stream holds; not a timing check.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height",
		"-of", "compact=p=0", g.base+"/"+id.String()).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	<-fed
	t.Logf("ffprobe: %s", strings.TrimSpace(string(out)))
	if !strings.Contains(string(out), "codec_type=video") || !strings.Contains(string(out), "width=160") {
		t.Fatalf("ffprobe found no 160x120 video stream: %s", out)
	}
}
