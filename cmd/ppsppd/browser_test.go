package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPlaysWatchPage: headless Chromium opens a daemon's /watch page for a swarm that
// is still downloading (the seeder's upload is capped) and its <video> plays: currentTime
// advances past two seconds.
func TestBrowserPlaysWatchPage(t *testing.T) {
	needProgram(t, "ffmpeg")
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("chromium is not installed (apt-get install chromium); skipping")
	}
	seedState := t.TempDir()
	seeder := startDaemon(t, seedState, "[limits]\nupload = \"256KiB\"\n")
	src := filepath.Join(seedState, "content", "clip.webm")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	// VP8/Vorbis in WebM: a format every Chromium build plays.
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=20",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=20",
		"-c:v", "libvpx", "-b:v", "800k", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libvorbis", "-shortest", src).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	added, err := seeder.ctl(t, "add", src)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, added)
	}
	id := strings.Fields(added)[0]
	player := startDaemon(t, t.TempDir(), "")
	if out, err := player.ctl(t, "add", id, "--peer", seeder.udp); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("mute-audio", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	page := fmt.Sprintf("http://%s/watch/%s", player.http, id)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("video")); err != nil {
		t.Fatalf("opening %s: %v", page, err)
	}
	var at float64
	var state string
	for at < 2 {
		now, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("video").currentTime`))
		if err != nil {
			t.Fatalf("reading currentTime: %v (last %v)", err, at)
		}
		at = now
		time.Sleep(200 * time.Millisecond)
	}
	ls, _ := player.ctl(t, "ls")
	for _, l := range strings.Split(ls, "\n") {
		if strings.HasPrefix(l, id) {
			state = l
		}
	}
	t.Logf("currentTime %.1f s; the swarm then: %s", at, state)
}
