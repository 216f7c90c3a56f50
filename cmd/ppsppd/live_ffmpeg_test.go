package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// TestLiveFFmpegToPlayer is issue 12's end-to-end test with real parts: ffmpeg's test
// source, encoded to MPEG-TS in real time, is piped into `ppsppd live --source -`; a second
// process, a `ppsppd serve` daemon, joins the stream over UDP with `ppsppd add URL`; and
// ffprobe reads the stream from that daemon's HTTP gateway and finds the video in it.
func TestLiveFFmpegToPlayer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	ffmpeg, err1 := exec.LookPath("ffmpeg")
	ffprobe, err2 := exec.LookPath("ffprobe")
	if err1 != nil || err2 != nil {
		t.Skip("ffmpeg and ffprobe are needed (Debian: apt-get install ffmpeg); .ci/run installs them")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	enc := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-c:v", "mpeg2video", "-b:v", "1M", "-g", "25", "-f", "mpegts", "-")
	src := exec.CommandContext(ctx, binPath, "live", "--source", "-", "--listen", "127.0.0.1:0", "--log-level", "warn")
	pipe, err := enc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	src.Stdin = pipe
	srcErr := new(lockedBuffer)
	src.Stderr = srcErr
	srcOut, err := src.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Start(); err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = enc.Wait()
		_ = src.Wait()
		if t.Failed() {
			t.Logf("ppsppd live stderr:\n%s", srcErr.String())
		}
	})
	sc := bufio.NewScanner(srcOut)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 {
		t.Fatalf("ppsppd live printed %q", lines)
	}
	go func() { _, _ = io.Copy(io.Discard, srcOut) }()
	link, err := swarmurl.Parse(lines[1])
	if err != nil || hex.EncodeToString(link.SwarmID) != lines[0] {
		t.Fatalf("printed %q: %v", lines, err)
	}

	d := startDaemon(t, t.TempDir(), "")
	if o, err := d.ctl(t, "add", lines[1]); err != nil {
		t.Fatalf("add %s: %v\n%s", lines[1], err, o)
	}
	url := fmt.Sprintf("http://%s/%s", d.http, lines[0])

	// A player's first look: an open-ended MPEG-TS response from a packet boundary.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 188*4)
	_, err = io.ReadFull(resp.Body, head)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.ContentLength != -1 {
		t.Fatalf("GET %s: %s, length %d, %v", url, resp.Status, resp.ContentLength, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/mp2t" {
		t.Errorf("Content-Type %q, want video/mp2t", ct)
	}
	for k := 0; k < len(head); k += 188 {
		if head[k] != 0x47 {
			t.Fatalf("the response does not start at an MPEG-TS packet boundary: % x", head[:8])
		}
	}

	// ffprobe reads a few seconds of it.
	probe := exec.CommandContext(ctx, ffprobe, "-v", "error", "-rw_timeout", "20000000",
		"-read_intervals", "%+3", "-show_streams", "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json", url)
	out, err := probe.Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", url, err, out)
	}
	var got struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	if len(got.Streams) == 0 || got.Streams[0].CodecType != "video" || got.Streams[0].Width != 320 || got.Streams[0].Height != 240 {
		t.Fatalf("ffprobe found %s", strings.TrimSpace(string(out)))
	}
	t.Logf("ffprobe through the second daemon: %+v", got.Streams[0])
}
