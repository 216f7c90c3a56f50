package swarms

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/storage"
)

// listFile is the swarm list's name in the state directory.
const listFile = "swarms.json"

// listVersion is the format version of listFile; a file of another version is refused
// rather than misread.
const listVersion = 1

// record is what the swarm list keeps of a swarm: enough to bring it back after a
// restart from its checkpoint, without rehashing.
type record struct {
	ID         string    `json:"id"`   // hex
	Kind       string    `json:"kind"` // kindDownload or kindSeed
	Path       string    `json:"path"` // content file
	Checkpoint string    `json:"checkpoint"`
	ChunkSize  int       `json:"chunk_size"`
	Hash       string    `json:"hash"`
	Size       int64     `json:"size,omitempty"` // 0: unknown when added
	Peers      []string  `json:"peers,omitempty"`
	Limits     Limits    `json:"limits,omitzero"`
	Stopped    bool      `json:"stopped,omitempty"`
	Name       string    `json:"name,omitempty"`
	Added      time.Time `json:"added"`
	// Multifile: a seed whose Path is a directory, seeded as libswift's multi-file
	// layout (multifile.go).
	Multifile bool `json:"multifile,omitempty"`
	// Materialized: a finished download's files were written out of its multi-file
	// content (or it has none), so a restart does not do it again.
	Materialized bool `json:"materialized,omitempty"`
	// Layers: a finished download whose hashes are in its layer file, written from its
	// verified tree (zerostate.go). It is then held as a record while idle and loaded as a
	// seed of its content file, never as a download again.
	Layers bool `json:"layers,omitempty"`
}

const (
	kindDownload = "download"
	kindSeed     = "seed"
)

type listFileData struct {
	Version int      `json:"version"`
	Swarms  []record `json:"swarms"`
}

// saveList writes the swarm list if it changed. A failed write leaves the old file whole
// (storage.WriteFileAtomic) and is retried at the next tick.
func (m *Manager) saveList() error {
	if m.cfg.StateDir == "" {
		return nil
	}
	// One save at a time, from taking the list to the rename: otherwise an older list
	// taken by one caller could land after a newer one written by another.
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	if !m.listDirty {
		m.mu.Unlock()
		return nil
	}
	data := listFileData{Version: listVersion, Swarms: []record{}}
	for _, e := range m.sortedLocked() {
		if e.live != nil {
			continue // never kept: a live source ends with its process (live.go)
		}
		data.Swarms = append(data.Swarms, e.rec)
	}
	m.listDirty = false
	m.mu.Unlock()
	raw, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the swarm list: %w", err)
	}
	if err := storage.WriteFileAtomic(filepath.Join(m.cfg.StateDir, listFile), append(raw, '\n')); err != nil {
		m.mu.Lock()
		m.listDirty = true
		m.mu.Unlock()
		return fmt.Errorf("saving the swarm list: %w", err)
	}
	return nil
}

// loadList reads the swarm list. A missing file is an empty list. A corrupt one is kept
// aside (renamed, never deleted) and the daemon starts with none, saying so loudly.
func (m *Manager) loadList() []record {
	if m.cfg.StateDir == "" {
		return nil
	}
	path := filepath.Join(m.cfg.StateDir, listFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var data listFileData
	if err == nil {
		err = json.Unmarshal(raw, &data)
		if err == nil && data.Version != listVersion {
			err = fmt.Errorf("format version %d, this ppsppd reads %d", data.Version, listVersion)
		}
	}
	if err != nil {
		aside := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405")
		rerr := os.Rename(path, aside)
		m.log.Error("cannot read the swarm list; starting without it", zap.String("file", path),
			zap.String("kept_as", aside), zap.Error(err), zap.NamedError("rename", rerr))
		return nil
	}
	return data.Swarms
}

// restore adds the swarms of the persisted list and returns what waits for them to open.
func (m *Manager) restore() *sync.WaitGroup {
	wg := new(sync.WaitGroup)
	for _, r := range m.loadList() {
		id, err := ParseID(r.ID)
		if err != nil {
			m.log.Error("skipping a swarm list entry", zap.String("id", r.ID), zap.Error(err))
			continue
		}
		e := &entry{id: id, rec: r, size: -1}
		if r.Size > 0 {
			e.size = r.Size
		}
		e.peers = resolvePeers(r.Peers, m.log)
		m.mu.Lock()
		if _, dup := m.swarms[id]; dup {
			m.mu.Unlock()
			continue
		}
		m.putLocked(e)
		if r.Stopped {
			e.state = StateStopped
			m.mu.Unlock()
			continue
		}
		if m.coldCapable(r) {
			e.holdCold() // loaded when a peer or a reader asks (zerostate.go)
			m.mu.Unlock()
			continue
		}
		e.state = StateAllocating
		m.mu.Unlock()
		m.startOpen(e, wg)
	}
	return wg
}
