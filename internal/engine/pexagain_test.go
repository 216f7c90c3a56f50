package engine

import (
	"slices"
	"testing"
	"time"
)

// TestPexAskedAgain: a leecher whose first PEX_REQ found nobody else (it came first) learns
// of a peer that joined the seeder later, because an incomplete swarm asks again every
// pexAgain; one PEX_REQ per channel would leave it with the seeder alone. The late peer is
// a second seeder, which never asks for peers itself (its swarm is complete), so the
// leecher can only learn of it by asking again. The seeder's upload is capped so the
// download outlasts the first pexAgain.
func TestPexAskedAgain(t *testing.T) {
	net := newSimNet(t, 9)
	data := testContent(9, 400*testCS+3)
	l := link{delay: 5 * time.Millisecond}
	seeder := net.seedNode("seeder", data, testCS, Config{}, l)
	if err := seeder.eng.SetRateLimit(net.now, seeder.id, 4*testCS, 0); err != nil {
		t.Fatal(err)
	}
	leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, Config{}, l)
	net.connect(leech, seeder)
	net.run(2*time.Second, func() bool { return false })
	late := net.seedNode("late", data, testCS, Config{}, l)
	net.connect(late, seeder)

	learned := func() bool { return slices.Contains(leech.eng.Peers(leech.id), late.addr) }
	if !net.run(pexAgain+10*time.Second, learned) {
		t.Fatalf("the leecher never connected to the peer that joined after its first PEX_REQ; peers %v", leech.eng.Peers(leech.id))
	}
	if !net.run(5*time.Minute, allComplete(leech)) {
		t.Fatal("not complete")
	}
}
