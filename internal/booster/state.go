package booster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ppsppd/ppsppd/internal/storage"
)

// StateFileName is the booster's file in the state directory.
const StateFileName = "booster.json"

// maxSeen bounds the remembered swarm IDs; the oldest are forgotten first. A link older than
// that many others, still listed by a feed that changed, would be added again.
const maxSeen = 20000

// savedState is booster.json.
type savedState struct {
	Version int                    `json:"version"`
	Swarms  map[string]swarmRecord `json:"swarms"` // by hex swarm ID: the swarms the booster added
	Seen    []string               `json:"seen"`   // hex swarm IDs of every link acted on, oldest first
	Feeds   map[string]validators  `json:"feeds"`  // by feed URL
}

const stateVersion = 1

// swarmRecord is what the booster remembers of a swarm it added.
type swarmRecord struct {
	Source    string    `json:"source"` // the feed URL or dir: path the link came from
	Added     time.Time `json:"added"`
	Completed time.Time `json:"completed,omitzero"` // first seen seeding
	// Uploaded is the bytes uploaded in earlier runs; the manager's count starts at zero
	// each run. LastUploaded is the manager's count last seen in this run.
	Uploaded     uint64 `json:"uploaded"`
	LastUploaded uint64 `json:"-"`
}

// totalUploaded is what the swarm uploaded since the booster added it.
func (r *swarmRecord) totalUploaded() uint64 { return r.Uploaded + r.LastUploaded }

// loadState reads path; a missing file is an empty state. A file that does not decode is
// an error (the caller starts empty and says so).
func loadState(path string) (savedState, error) {
	st := savedState{Swarms: map[string]swarmRecord{}, Feeds: map[string]validators{}}
	if path == "" {
		return st, nil
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("booster state: %w", err)
	}
	var dec savedState
	if err := json.Unmarshal(raw, &dec); err != nil {
		return st, fmt.Errorf("booster state %s: %w", path, err)
	}
	if dec.Swarms != nil {
		st.Swarms = dec.Swarms
	}
	if dec.Feeds != nil {
		st.Feeds = dec.Feeds
	}
	st.Seen = dec.Seen
	if len(st.Seen) > maxSeen {
		st.Seen = st.Seen[len(st.Seen)-maxSeen:]
	}
	return st, nil
}

// saveState writes path atomically (temp file, fsync, rename).
func saveState(path string, st savedState) error {
	if path == "" {
		return nil
	}
	st.Version = stateVersion
	// The manager's upload count of this run is folded in: after a restart it starts at 0.
	out := st
	out.Swarms = make(map[string]swarmRecord, len(st.Swarms))
	for id, r := range st.Swarms {
		r.Uploaded = r.totalUploaded()
		out.Swarms[id] = r
	}
	raw, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("booster state: %w", err)
	}
	if err := storage.WriteFileAtomic(path, append(raw, '\n')); err != nil {
		return fmt.Errorf("booster state: %w", err)
	}
	return nil
}
