package swarms

// seedKey names a seeded file or directory with the parameters its swarm was made with: the
// same path seeded with another chunk size or hash function is another swarm.
type seedKey struct {
	path      string
	chunkSize int
	hash      string
}

func (r record) seedKey() (seedKey, bool) {
	return seedKey{r.Path, r.ChunkSize, r.Hash}, r.Kind == kindSeed
}

// putLocked adds e to the manager's swarms and indexes. Call with m.mu held.
func (m *Manager) putLocked(e *entry) {
	m.swarms[e.id] = e
	if k, ok := e.rec.seedKey(); ok {
		m.seeds[k] = e
	}
}

// dropLocked removes e from the manager's swarms and indexes. Call with m.mu held.
func (m *Manager) dropLocked(e *entry) {
	delete(m.swarms, e.id)
	if k, ok := e.rec.seedKey(); ok && m.seeds[k] == e {
		delete(m.seeds, k)
	}
}
