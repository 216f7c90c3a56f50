package dissect

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Options control a dissection.
type Options struct {
	JSON bool         // one JSON object per datagram instead of text lines
	Base wire.Context // context for channels whose handshake is not in the capture
}

// Summary counts what a dissection saw.
type Summary struct {
	Datagrams int
	Failed    int
	Messages  [wire.NumMsgTypes]int
	// FirstFailure names the first datagram that did not decode, with the reason.
	FirstFailure string
}

// String prints the counts of the message types that occurred, in type order.
func (s Summary) String() string {
	var parts []string
	for t, n := range s.Messages {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%v=%d", wire.MsgType(t), n))
		}
	}
	return fmt.Sprintf("%d datagrams, %d failed; %s", s.Datagrams, s.Failed, strings.Join(parts, " "))
}

// Run decodes recs in order and writes each datagram's messages to w.
func Run(w io.Writer, recs []capture.Record, opts Options) (Summary, error) {
	var sum Summary
	tr := NewTracker(opts.Base)
	enc := json.NewEncoder(w)
	for _, rec := range recs {
		d := tr.Decode(rec)
		sum.Datagrams++
		for _, m := range d.Datagram.Messages {
			sum.Messages[m.Type()]++
		}
		if d.Err != nil {
			sum.Failed++
			if sum.FirstFailure == "" {
				sum.FirstFailure = fmt.Sprintf("datagram #%d: %v", rec.Index, d.Err)
			}
		}
		var err error
		if opts.JSON {
			err = enc.Encode(ToJSON(d))
		} else {
			err = writeText(w, d)
		}
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func writeText(w io.Writer, d Decoded) error {
	prefix := fmt.Sprintf("#%-5d %10.6f %s->%s %dB", d.Record.Index, d.Record.Time.Seconds(), d.Record.Src, d.Record.Dst, len(d.Record.Payload))
	if len(d.Record.Payload) >= wire.HeaderLen {
		prefix += fmt.Sprintf(" ch=%08x", uint32(d.Datagram.Channel))
	}
	c := d.Context
	if len(d.Datagram.Messages) == 0 && d.Err == nil {
		_, err := fmt.Fprintf(w, "%s KEEPALIVE\n", prefix)
		return err
	}
	for _, m := range d.Datagram.Messages {
		if _, err := fmt.Fprintf(w, "%s %s\n", prefix, FormatMessage(m, &c)); err != nil {
			return err
		}
		if h, ok := m.(*wire.Handshake); ok {
			_ = c.Apply(&h.Options)
		}
	}
	if d.Err != nil {
		_, err := fmt.Fprintf(w, "%s ERROR %v\n", prefix, d.Err)
		return err
	}
	return nil
}
