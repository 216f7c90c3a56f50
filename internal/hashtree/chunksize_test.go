package hashtree

import "testing"

func TestCheckChunkSize(t *testing.T) {
	for n, ok := range map[uint64]bool{0: false, 1: true, DefaultChunkSize: true, MaxChunkSize: true, MaxChunkSize + 1: false, 1<<32 - 1: false} {
		if err := CheckChunkSize(n); (err == nil) != ok {
			t.Errorf("%d: %v, want accepted=%v", n, err, ok)
		}
	}
}
