package engine

import (
	"net/netip"
	"testing"
)

// TestSeedChannelsMakeRoom: a seeder whose MaxChannelsPerIP places at one address are all
// taken by other seeds (many daemons behind one NAT or on one machine) closes one of those
// useless channels when a leecher at that address comes, instead of refusing it.
func TestSeedChannelsMakeRoom(t *testing.T) {
	data := testContent(3, 64*testCS)
	engines := map[netip.AddrPort]*Engine{}
	ids := map[netip.AddrPort]SwarmID{}
	add := func(addr string, seed bool) netip.AddrPort {
		a := netipAddr(addr)
		e := New(Config{MaxChannelsPerIP: 2})
		var store *memStore
		if seed {
			store = seededStore(t, data, testCS)
		} else {
			store = emptyStore(t, seededStore(t, data, testCS).Root(), int64(len(data)), testCS)
		}
		id, err := e.AddSwarm(NewSwarmConfig(store))
		if err != nil {
			t.Fatal(err)
		}
		engines[a], ids[a] = e, id
		return a
	}
	pump := func() {
		for moved := true; moved; {
			moved = false
			for from, e := range engines {
				for _, p := range e.Outgoing() {
					if to := engines[p.To]; to != nil {
						to.HandleDatagram(t0, from, p.Data)
						moved = true
					}
				}
			}
		}
	}
	seeder := add("10.0.0.1:6778", true)
	for _, a := range []string{"10.0.0.2:1", "10.0.0.2:2"} {
		s := add(a, true)
		if err := engines[s].Connect(t0, ids[s], seeder); err != nil {
			t.Fatal(err)
		}
		pump()
	}
	if n := len(engines[seeder].Peers(ids[seeder])); n != 2 {
		t.Fatalf("the seeder has %d channels with the other seeds, want 2", n)
	}
	leech := add("10.0.0.2:3", false)
	if err := engines[leech].Connect(t0, ids[leech], seeder); err != nil {
		t.Fatal(err)
	}
	pump()
	st := engines[seeder].Stats()
	if st.HandshakesRefused != 0 || st.ClosedBothComplete != 1 {
		t.Fatalf("refused %d HANDSHAKEs, closed %d seed channels; want 0 and 1", st.HandshakesRefused, st.ClosedBothComplete)
	}
	if have, total, _ := engines[leech].Progress(ids[leech]); have != total || total == 0 {
		t.Fatalf("the leecher got %d of %d chunks", have, total)
	}
}
