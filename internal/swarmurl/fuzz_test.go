package swarmurl

import (
	"bytes"
	"testing"
)

// FuzzParse: no panic on any input, and a link that parses writes back to a form that parses
// to the same link.
func FuzzParse(f *testing.F) {
	f.Add("tswift://127.0.0.1:20001/706da5efff5fc145dac4361f970b9bd2afc21861$4096/x.ts?cl=1025&hf=2")
	f.Add("tswift:/706da5efff5fc145dac4361f970b9bd2afc21861")
	f.Add("706da5efff5fc145dac4361f970b9bd2afc21861")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(l.String())
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", s, l.String(), err)
		}
		if again.Peer != l.Peer || !bytes.Equal(again.SwarmID, l.SwarmID) || again.ChunkSize != l.ChunkSize ||
			again.Size != l.Size || (l.Hash > 0 && again.Hash != l.Hash) {
			t.Fatalf("%q: %+v, written back and read again %+v", s, l, again)
		}
	})
}
