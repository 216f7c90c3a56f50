package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// progress draws a bar on a terminal and plain lines every few seconds otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	lastLine time.Time
	drawn    bool
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
	pct := 100 * float64(st.Have) / float64(st.Size)
	rate := st.DownRate / 1e6
	if p.tty {
		const width = 30
		filled := int(pct / 100 * width)
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = ' '
			if i < filled {
				bar[i] = '='
			}
		}
		fmt.Fprintf(p.w, "\r[%s] %5.1f%%  %d/%d chunks  %.1f MB/s ", bar, pct, st.HaveChunks, st.TotalChunks, rate)
		p.drawn = true
		return
	}
	if now.Sub(p.lastLine) >= 2*time.Second || st.Have == st.Size {
		fmt.Fprintf(p.w, "progress %.1f%% (%d/%d chunks, %.1f MB/s)\n", pct, st.HaveChunks, st.TotalChunks, rate)
		p.lastLine = now
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
