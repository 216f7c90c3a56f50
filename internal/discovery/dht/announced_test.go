package dht

import (
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// TestAnnouncedPeerHandedAtOnce: a node holds three swarms: one downloading with no peer,
// one seeding, one downloading with enough peers. Its lookups are an hour apart, and its
// first one could not start (it knew no node). Another node, seeding all three, joins
// through it and announces them to it: the download short of peers is handed the
// announced PPSPP address at once, with no lookup run; the other two are handed nothing.
func TestAnnouncedPeerHandedAtOnce(t *testing.T) {
	needy := swarmapi.ID("\x21\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	seeded := swarmapi.ID("\x22\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	served := swarmapi.ID("\x23\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	holder := &fakeManager{list: []swarmapi.Status{
		{ID: needy, State: swarmapi.StateDownloading},
		{ID: seeded, State: swarmapi.StateSeeding},
		{ID: served, State: swarmapi.StateDownloading, Peers: defaultWantPeers},
	}}
	hd := runDHT(t, Config{LookupMin: time.Hour, LookupMax: time.Hour, AnnouncePort: 40010}, holder)
	waitFor(t, "the holder's first lookup to fail", func() bool { return hd.Metrics().Failed > 0 })

	seeder := &fakeManager{list: []swarmapi.Status{
		{ID: needy, State: swarmapi.StateSeeding},
		{ID: seeded, State: swarmapi.StateSeeding},
		{ID: served, State: swarmapi.StateSeeding},
	}}
	runDHT(t, Config{Bootstrap: []string{hd.Addr().String()}, AnnouncePort: 40011}, seeder)

	waitFor(t, "the three announces to be looked at", func() bool { return hd.Metrics().AnnouncesReceived >= 3 })
	if got := holder.got(needy); !slices.Equal(got, []string{"127.0.0.1:40011"}) {
		t.Fatalf("swarm short of peers was handed %v, want the announced 127.0.0.1:40011", got)
	}
	if got, got2 := holder.got(seeded), holder.got(served); len(got) > 0 || len(got2) > 0 {
		t.Fatalf("swarms that need no peers were handed %v and %v", got, got2)
	}
	m := hd.Metrics()
	if m.Lookups != 0 || m.AnnouncedPeers != 1 {
		t.Fatalf("holder metrics %+v: want the peer from the announce alone (no lookup), counted once", m)
	}
}

// TestAnnouncedQueueDoesNotBlock: the library's hook never blocks, even with nobody reading
// the queue (before Run, or after it returned); what does not fit is counted.
func TestAnnouncedQueueDoesNotBlock(t *testing.T) {
	d, err := New(Config{Listen: "127.0.0.1:0"}, &fakeManager{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.conn.Close()
	for range announcedQueue + 5 {
		d.onAnnouncePeer([KeySize]byte{1}, []byte{127, 0, 0, 1}, 4000, true)
	}
	d.onAnnouncePeer([KeySize]byte{1}, []byte{127, 0, 0, 1}, 0, false) // no port: ignored
	if got := d.Metrics().AnnouncedDropped; got != 5 {
		t.Fatalf("dropped %d, want 5", got)
	}
}

// waitFor polls cond, failing after a generous bound (against hangs, not for speed).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
