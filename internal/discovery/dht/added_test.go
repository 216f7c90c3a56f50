package dht

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// eventManager is a fakeManager that also tells of swarms as they are added, as the swarm
// manager's Subscribe does.
type eventManager struct {
	fakeManager
	events chan swarmapi.Event
}

func (m *eventManager) Subscribe(ctx context.Context, _ int) <-chan swarmapi.Event {
	out := make(chan swarmapi.Event)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-m.events:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (m *eventManager) add(st swarmapi.Status) {
	m.mu.Lock()
	m.list = append(m.list, st)
	m.mu.Unlock()
	m.events <- swarmapi.Event{Kind: swarmapi.EventAdded, ID: st.ID, Status: st}
}

// TestAddedSwarmIsLookedUpAtOnce: with the periodic scan an hour away, a download added
// after the DHT started is still looked up, because the manager's EventAdded starts a scan,
// and the seeder's address reaches it.
func TestAddedSwarmIsLookedUpAtOnce(t *testing.T) {
	id := swarmapi.ID("\x21\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	hub := runDHT(t, Config{}, &fakeManager{})
	seeder := &fakeManager{list: []swarmapi.Status{{ID: id, State: swarmapi.StateSeeding}}}
	runDHT(t, Config{Bootstrap: []string{hub.Addr().String()}, AnnouncePort: 40011}, seeder)
	// The seeder announces at its first scan; wait until the hub holds its peer.
	waitFor(t, "the hub to learn the seeder", func() bool { return hub.Metrics().Nodes > 0 })

	leecher := &eventManager{events: make(chan swarmapi.Event, 1)}
	ld := runDHT(t, Config{Bootstrap: []string{hub.Addr().String()}, ScanEvery: time.Hour}, leecher)
	// Give the leecher's first (empty) scan time to pass, then add the download.
	waitFor(t, "the leecher to join", func() bool { return ld.Metrics().Nodes > 0 })
	leecher.add(swarmapi.Status{ID: id, State: swarmapi.StateDownloading})

	waitFor(t, "the seeder handed to the leecher", func() bool { return slices.Contains(leecher.got(id), "127.0.0.1:40011") })
	if m := ld.Metrics(); m.Lookups == 0 {
		t.Fatalf("peer arrived without a lookup? metrics %+v", m)
	}
}
