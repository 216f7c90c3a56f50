package engine

import (
	"bytes"
	"testing"
	"time"
)

// TestTimersVisitOnlyActiveSwarms: a seeder holding many idle swarms besides the one being
// downloaded keeps only swarms with requests, wake-ups or bans in its timed set; the
// downloading leecher's swarm is in it while requests are out and leaves once complete,
// and the transfer is unaffected.
func TestTimersVisitOnlyActiveSwarms(t *testing.T) {
	net := newSimNet(t, 5)
	data := testContent(5, 120*testCS+9)
	seeder := net.seedNode("seeder", data, testCS, Config{}, link{delay: 5 * time.Millisecond})
	for i := range 50 {
		if _, err := seeder.eng.AddSwarm(NewSwarmConfig(seededStore(t, testContent(100+uint64(i), 3*testCS), testCS))); err != nil {
			t.Fatal(err)
		}
	}
	leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, Config{}, link{delay: 5 * time.Millisecond})
	net.connect(leech, seeder)
	sawPending := false
	done := func() bool {
		if len(leech.eng.timed) > 0 {
			sawPending = true
		}
		if n := len(seeder.eng.timed); n != 0 {
			t.Fatalf("a seeder with no requests of its own has %d swarms in its timed set", n)
		}
		return leech.complete()
	}
	if !net.run(time.Minute, done) {
		t.Fatal("not complete")
	}
	if !bytes.Equal(leech.content.data, data) {
		t.Fatal("content differs")
	}
	if !sawPending {
		t.Fatal("the downloading swarm never joined the timed set")
	}
	// Once complete and the timers have run, nothing is left to watch.
	net.run(2*time.Second, func() bool { return false })
	if n := len(leech.eng.timed); n != 0 {
		t.Fatalf("complete leecher still has %d swarms in its timed set", n)
	}
}
