package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/units"
)

// progress draws a bar on a terminal and plain lines every few seconds otherwise. It shows
// the verified bytes of the content, the rate of this session's transfer (chunks already
// on disk do not count) and an ETA at that rate.
type progress struct {
	w        io.Writer
	tty      bool
	lastLine time.Time
	drawn    bool
	last     string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *progress) update(st swarms.Status) {
	if st.Size <= 0 {
		return
	}
	now := time.Now()
	if p.tty {
		fmt.Fprintf(p.w, "\r%s %s ", bar(st), progressText(st))
		p.drawn = true
		return
	}
	if now.Sub(p.lastLine) >= 2*time.Second || st.Have == st.Size {
		p.line(st)
		p.lastLine = now
	}
}

// line prints one plain progress line, unless it would repeat the last one.
func (p *progress) line(st swarms.Status) {
	text := "progress " + progressText(st)
	if text == p.last {
		return
	}
	fmt.Fprintln(p.w, text)
	p.last = text
}

// finish ends the display with a final progress line (on a terminal: the bar at its last
// state), so that an interrupted or failed download says where it stopped.
func (p *progress) finish(st swarms.Status) {
	if p.tty {
		if st.Size > 0 {
			fmt.Fprintf(p.w, "\r%s %s ", bar(st), progressText(st))
			p.drawn = true
		}
		if p.drawn {
			fmt.Fprintln(p.w)
		}
		return
	}
	if st.Size > 0 {
		p.line(st)
	}
}

// percent is the verified share of the content; it reaches 100 only when every byte is.
func percent(st swarms.Status) float64 {
	if st.Size <= 0 {
		return 0
	}
	pct := 100 * float64(st.Have) / float64(st.Size)
	if st.Have < st.Size {
		pct = min(pct, 99.9)
	}
	return pct
}

func progressText(st swarms.Status) string {
	text := fmt.Sprintf("%5.1f%%  %s of %s  %s/s", percent(st), units.Bytes(float64(st.Have)), units.Bytes(float64(st.Size)), units.Bytes(st.DownRate))
	if left := st.Size - st.Have; left > 0 {
		if st.DownRate > 0 {
			text += "  ETA " + eta(time.Duration(float64(left)/st.DownRate*float64(time.Second)))
		} else {
			text += "  ETA --"
		}
	}
	return text
}

func bar(st swarms.Status) string {
	const width = 30
	filled := int(percent(st) / 100 * width)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "]"
}

// eta writes a remaining time as H:MM:SS or M:SS.
func eta(d time.Duration) string {
	if d > 99*time.Hour {
		return "--"
	}
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
