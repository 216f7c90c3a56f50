package multifile

import (
	"errors"
	"strings"
	"testing"
)

// The example recorded from libswift in shared/interop/LIBSWIFT-FACTS.md ("Multi-file
// swarms"): `swift -M SPEC media/a.ts media/b/clip.mp4 media/c.txt`.
const libswiftSpec = "META-INF-multifilespec.txt 90\n" +
	"media/a.ts 700001\n" +
	"media/b/clip.mp4 1300007\n" +
	"media/c.txt 4321\n"

func TestSpecMatchesLibswiftExample(t *testing.T) {
	// Given out of order, as a directory walk or a command line might.
	s, err := New([]File{{Path: "media/c.txt", Size: 4321}, {Path: "media/a.ts", Size: 700001}, {Path: "media/b/clip.mp4", Size: 1300007}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Encode()); got != libswiftSpec {
		t.Fatalf("spec:\n%q\nwant\n%q", got, libswiftSpec)
	}
	if s.Len() != 90 || len(libswiftSpec) != 90 {
		t.Fatalf("spec length %d, want 90", s.Len())
	}
	if s.Size() != 2004419 {
		t.Fatalf("swarm size %d, want 2004419", s.Size())
	}
	wantOff := []int64{90, 90 + 700001, 90 + 700001 + 1300007}
	for i, f := range s.Files() {
		if f.Offset != wantOff[i] {
			t.Errorf("%s at %d, want %d", f.Path, f.Offset, wantOff[i])
		}
	}
	p, err := Parse([]byte(libswiftSpec))
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := p.Lookup("media/b/clip.mp4"); !ok || f.Offset != 700091 || f.Size != 1300007 {
		t.Fatalf("lookup: %+v %v", f, ok)
	}
	if _, ok := p.Lookup("media/b"); ok {
		t.Fatal("a directory looked up as a file")
	}
}

// The length on the first line counts its own digits: where adding them carries into
// another digit, the number must still be exact.
func TestSpecLengthCountsItsOwnDigits(t *testing.T) {
	for n := 1; n < 400; n++ {
		s, err := New([]File{{Path: strings.Repeat("x", n), Size: 1}})
		if err != nil {
			t.Fatal(err)
		}
		b := s.Encode()
		if int64(len(b)) != s.Len() {
			t.Fatalf("path of %d: encoded %d bytes, Len %d", n, len(b), s.Len())
		}
		if _, err := Parse(b); err != nil {
			t.Fatalf("path of %d: %v", n, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	spec := func(lines ...string) string {
		body := strings.Join(lines, "\n") + "\n"
		for d := 1; ; d++ {
			n := len(SpecName) + 2 + d + len(body)
			if len(itoa(n)) == d {
				return SpecName + " " + itoa(n) + "\n" + body
			}
		}
	}
	cases := map[string]string{
		"dotdot":            spec("../x 1"),
		"absolute":          spec("/etc/passwd 1"),
		"dotdot inside":     spec("a/../../b 1"),
		"dot":               spec("a/./b 1"),
		"empty component":   spec("a//b 1"),
		"trailing slash":    spec("a/ 1"),
		"backslash":         spec(`a\..\b 1`),
		"control char":      spec("a\tb 1"),
		"unsorted":          spec("b 1", "a 1"),
		"duplicate":         spec("a 1", "a 2"),
		"file and dir":      spec("a 1", "a/b 1"),
		"negative":          spec("a -1"),
		"leading zero":      spec("a 01"),
		"plus":              spec("a +1"),
		"no size":           spec("a"),
		"huge":              spec("a 99999999999999999999"),
		"sum overflows":     spec("a 9223372036854775807", "b 9223372036854775807"),
		"no files":          SpecName + " 28\n",
		"wrong length":      SpecName + " 35\na 1\n",
		"no final newline":  strings.TrimSuffix(spec("a 1"), "\n"),
		"not a spec":        "hello world\n",
		"empty path":        spec(" 1"),
		"invalid utf8":      spec("a\xff 1"),
		"padded length":     SpecName + " 035\na 1\n",
		"empty":             "",
		"first line only":   SpecName + " 30",
		"crlf":              strings.ReplaceAll(spec("a 1"), "\n", "\r\n"),
		"size then garbage": spec("a 1x"),
	}
	for name, in := range cases {
		if s, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted %q as %+v", name, in, s.Files())
		} else if !errors.Is(err, ErrBadSpec) && !errors.Is(err, ErrNotMultifile) {
			t.Errorf("%s: error %v wraps neither ErrBadSpec nor ErrNotMultifile", name, err)
		}
	}
	if _, err := Parse([]byte(spec("a b 1", "c 0"))); err != nil {
		t.Errorf("a path with a space and an empty file: %v", err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestHeaderLen(t *testing.T) {
	if _, err := HeaderLen([]byte("\x00\x01binary")); !errors.Is(err, ErrNotMultifile) {
		t.Fatalf("binary content: %v, want ErrNotMultifile", err)
	}
	if n, err := HeaderLen([]byte(libswiftSpec[:40])); err != nil || n != 90 {
		t.Fatalf("got %d %v, want 90", n, err)
	}
	if _, err := HeaderLen([]byte(SpecName + " 999999999999\n")); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("spec longer than MaxSpecLen: %v", err)
	}
}
