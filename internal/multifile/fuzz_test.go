package multifile

import (
	"bytes"
	"testing"
)

// FuzzSpec: Parse never panics, and what it accepts is canonical: it encodes back to the
// same bytes, its paths pass CheckPath, and its offsets tile the content.
func FuzzSpec(f *testing.F) {
	f.Add([]byte(libswiftSpec))
	f.Add([]byte(SpecName + " 34\na 1\n"))
	f.Add([]byte(SpecName + " 42\na b 1\nc/d 0\n"))
	f.Add([]byte(SpecName + " 37\n../x 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		if got := s.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded %q as %q", b, got)
		}
		off := s.Len()
		for _, fl := range s.Files() {
			if err := CheckPath(fl.Path); err != nil {
				t.Fatalf("accepted path: %v", err)
			}
			if fl.Offset != off || fl.Size < 0 {
				t.Fatalf("%+v: want offset %d", fl, off)
			}
			off += fl.Size
		}
		if off != s.Size() {
			t.Fatalf("size %d, files end at %d", s.Size(), off)
		}
	})
}
