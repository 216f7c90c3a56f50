package engine

import (
	"cmp"
	"errors"
	"slices"
)

// Playback windows: each player of a swarm (an HTTP reader, say) owns one window, the chunks
// from its position on that it will read next. The picker serves all of them first
// (pickStreaming, pickUrgent), so two players of one swarm, or a player's two connections
// (the start of a video and its index at the end), do not pull one window back and forth.

// PlaybackID names the owner of a playback window within a swarm; the caller picks it
// (the swarm manager numbers its readers).
type PlaybackID uint64

// maxPlaybackWindows bounds the windows of one swarm: every pick scans each of them, and
// the owners are remote clients of the gateway, whose number we do not control.
const maxPlaybackWindows = 64

// ErrTooManyWindows: the swarm already has maxPlaybackWindows windows; the caller's reads
// still complete, just without priority.
var ErrTooManyWindows = errors.New("engine: too many playback windows")

// playWindow is one owner's window: chunks [pos, pos+size) are picked first and in order.
type playWindow struct {
	owner     PlaybackID
	pos, size uint64
}

// end is the chunk after the window, clipped to the swarm's n chunks.
func (w playWindow) end(n uint64) uint64 { return min(w.pos+w.size, n) }

// SetPlayback sets owner's window in swarm id: the window chunks from position (a chunk
// index) on are requested first and in order, before any bulk (rarest-first) pick. Each
// owner has one window, moved by every call; the windows of different owners are served
// in turn. A window of 0 clears owner's window (see ClearPlayback).
func (e *Engine) SetPlayback(id SwarmID, owner PlaybackID, position, window uint64) error {
	s, ok := e.swarms[id]
	if !ok {
		return ErrUnknownSwarm
	}
	if window == 0 {
		s.clearWindow(owner)
		e.markSwarmDirty(s)
		return nil
	}
	k, found := slices.BinarySearchFunc(s.windows, owner, func(w playWindow, o PlaybackID) int {
		return cmp.Compare(w.owner, o)
	})
	switch {
	case found:
		s.windows[k].pos, s.windows[k].size = position, window
	case len(s.windows) >= maxPlaybackWindows:
		return ErrTooManyWindows
	default:
		// Kept in owner order, so that picks do not depend on the order of the calls.
		s.windows = slices.Insert(s.windows, k, playWindow{owner: owner, pos: position, size: window})
	}
	e.markSwarmDirty(s)
	return nil
}

// ClearPlayback drops owner's window in swarm id (its player went away); the others stay.
// Clearing a window that is not there is not an error.
func (e *Engine) ClearPlayback(id SwarmID, owner PlaybackID) error {
	return e.SetPlayback(id, owner, 0, 0)
}

// clearWindow removes owner's window, if any.
func (s *swarm) clearWindow(owner PlaybackID) {
	s.windows = slices.DeleteFunc(s.windows, func(w playWindow) bool { return w.owner == owner })
	if s.windowTurn >= len(s.windows) {
		s.windowTurn = 0
	}
}

// markSwarmDirty has every channel of s pick again (the windows changed).
func (e *Engine) markSwarmDirty(s *swarm) {
	for _, ch := range s.channels {
		e.markDirty(ch)
	}
}

// windowsCovered reports whether every chunk of every playback window is verified or
// requested (true when there is no window).
func (s *swarm) windowsCovered() bool {
	for _, w := range s.windows {
		if !s.rangeCovered(w.pos, w.end(s.n)) {
			return false
		}
	}
	return true
}

// rangeCovered reports whether chunks [start, end) are all verified or requested.
func (s *swarm) rangeCovered(start, end uint64) bool {
	for i := start; i < end; {
		w := i / 64
		covered := s.have.words[w] | s.pendingBits.words[w]
		if i%64 == 0 && end-i >= 64 {
			if covered != ^uint64(0) {
				return false
			}
			i += 64
			continue
		}
		if covered&(1<<(i%64)) == 0 {
			return false
		}
		i++
	}
	return true
}
