package engine

// The timers (timers.go) act on a swarm only for its outstanding requests (timeouts), a
// wake-up set for a chunk passed over (wakeAt) and its ban list (retries on probation). A
// daemon seeding thousands of swarms has almost none with any of these, so the engine keeps
// the set of swarms that might (Engine.timed) and the timers visit only those, instead of
// every swarm on every loop turn. A swarm joins when one of the three appears and leaves
// when the timers find it has none left.

// markTimed puts s in its engine's timed set. Cheap when it is there already: it is called
// for every request.
func (s *swarm) markTimed() {
	if !s.inTimed && s.timed != nil {
		s.inTimed = true
		s.timed[s.id] = s
	}
}

// leaveTimedIfIdle takes s out of the timed set when its timers have nothing left to watch.
func (s *swarm) leaveTimedIfIdle() {
	if len(s.pending) == 0 && s.endgame == 0 && s.wake.IsZero() && len(s.bans) == 0 && s.inTimed {
		s.inTimed = false
		delete(s.timed, s.id)
	}
}
