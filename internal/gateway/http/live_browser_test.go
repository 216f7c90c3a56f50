package httpgw

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPlaysLiveWatchPage: headless Chromium opens /watch for a live swarm of H.264
// in MPEG-TS, joined mid-stream while the stream goes on, and plays it: the video's clock
// advances past a second. Skipped without chromium, or without an ffmpeg with libx264.
func TestBrowserPlaysLiveWatchPage(t *testing.T) {
	var browser string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium on PATH: skipping the browser test of the live /watch page")
	}
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not on PATH: skipping the browser test of the live /watch page")
	}
	stream, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=size=320x240:rate=25", "-t", "12", "-c:v", "libx264", "-g", "25",
		"-pix_fmt", "yuv420p", "-f", "mpegts", "-").Output()
	if err != nil {
		t.Skipf("ffmpeg cannot encode H.264 here (%v): skipping the browser test of the live /watch page", err)
	}
	m := newFakeManager()
	id := liveID(11)
	buf, cs := newLiveSwarm(stream, 16, 4096)
	m.putLive(id, buf)
	g := startGateway(t, m, Options{})
	// The rest of the stream arrives once the page is streaming, a chunk a millisecond:
	// faster than real time, so the test is short, and the page must keep up.
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		waitLiveStreams(g, 1)
		<-feed(buf, cs, 16, len(cs))
	}()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser),
		chromedp.NoSandbox, chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// A bound in case the page never plays; not a timing check.
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()
	if err := chromedp.Do(ctx, chromedp.Navigate(g.base+"/watch/"+id.String())); err != nil {
		t.Fatal(err)
	}
	played, err := chromedp.Run(ctx, chromedp.Poll[float64](`document.getElementById("live").currentTime > 1 && document.getElementById("live").currentTime`,
		chromedp.WithPollingInterval(100*time.Millisecond)))
	if err != nil {
		t.Fatalf("the live page did not play: %v", err)
	}
	t.Logf("the live page played to %.2f s", played)
	cancel()
	<-fed
}
