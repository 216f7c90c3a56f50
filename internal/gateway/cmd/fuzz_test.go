package cmdgw

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseLine: no line makes the parser panic; every rejection is a *ParseError whose
// ERROR line is one printable line; every acceptance is a known command type.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"START tswift://127.0.0.1:20051/" + hexID + " DESTDIR",
		"START tswift:///" + hexID + "$8192?cl=1025 d m",
		"REMOVE " + hexID + " 1 1",
		"MAXSPEED " + hexID + " DOWNLOAD 512.0",
		"SETMOREINFO " + hexID + " 1",
		"PEERADDR " + hexID + " [::1]:1",
		"LIMIT global up=1k down=2M",
		"ADD " + hexID + " peer=127.0.0.1:1 dest=x",
		"BOOSTER FEEDS",
		"LIVE SOURCE /srv/cam.ts key=/k.pem chunk=8192 integrity=signall window=64 follow=0",
		"LIVE SOURCE /srv/cam.fifo sig=ed25519",
		"LIVE JOIN tswift://127.0.0.1:6778/" + liveHex + "$8192 peer=[::1]:1 window=9",
		"START tswift://127.0.0.1:6778/" + liveHex,
		"LIVE STOP " + liveHex,
		"LIVE", "LIVE SOURCE x=y=z",
		"BOGUSCOMMAND x", "\x00\xff", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		cmd, err := ParseLine(line)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseLine(%q): error %T is not a *ParseError", line, err)
			}
			if cmd != nil {
				t.Fatalf("ParseLine(%q) returned a command with its error", line)
			}
			el := ErrorLine("", err.Error())
			if strings.ContainsAny(el, "\r\n\x00") {
				t.Fatalf("ERROR line for %q is not one line: %q", line, el)
			}
			return
		}
		if cmd == nil && strings.TrimSpace(strings.TrimSuffix(line, "\r")) != "" {
			t.Fatalf("ParseLine(%q): no command and no error for a non-blank line", line)
		}
	})
}
