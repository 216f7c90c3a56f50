package swarms

import (
	"slices"
	"testing"
)

// TestPlayQueueOldestWaitOwnsThePosition: a read that streams ahead and keeps waiting does
// not take the picker from an older waiting read (a seek); when a wait ends, the position
// goes to the oldest one left, and stays where it is when none is left.
func TestPlayQueueOldestWaitOwnsThePosition(t *testing.T) {
	var q playQueue
	var moves [][2]uint64
	move := func(pos, window uint64) { moves = append(moves, [2]uint64{pos, window}) }
	expect := func(step string, want ...[2]uint64) {
		t.Helper()
		if !slices.Equal(moves, want) {
			t.Fatalf("%s: moves %v, want %v", step, moves, want)
		}
		moves = nil
	}

	stream := q.begin(10, 256, move) // the streaming read misses chunk 10
	expect("first wait", [2]uint64{10, 256})
	seek := q.begin(9000, 256, move) // a seek to the end while it waits
	expect("seek behind an older wait")
	q.end(stream, move) // chunk 10 came: the seek's turn
	expect("oldest served", [2]uint64{9000, 256})
	stream = q.begin(11, 256, move) // the stream misses again: it waits behind the seek
	expect("stream behind the seek")
	q.end(stream, move) // a wait that is not the oldest ends: nothing moves
	expect("younger wait ends")
	stream = q.begin(12, 256, move)
	q.end(seek, move) // the seek is served: back to the stream
	expect("seek served", [2]uint64{12, 256})
	q.end(stream, move)
	expect("last wait ends: the position stays")
	q.end(stream, move) // ending twice is harmless
	expect("ended twice")
	q.begin(5, 1, move)
	expect("a new first wait moves at once", [2]uint64{5, 1})
}
