package engine

import "fmt"

// dump describes a live node's swarm and channels, for failure messages.
func (ls *liveSim) dump(node *simNode) string {
	s := node.eng.swarms[node.id]
	out := fmt.Sprintf("%s base=%d n=%d have=%d pending=%d heard=%d tuneIn=%d edge=%d\n", node.name, s.have.base, s.n, s.have.count, len(s.pending), s.live.heard, s.live.tuneIn, s.live.edge)
	f, e, ok := s.liveRange()
	out += fmt.Sprintf("  range %d-%d %v\n", f, e, ok)
	for _, ch := range s.channels {
		out += fmt.Sprintf("  ch %v state=%d requested=%d limit=%d choked=%v paused=%v peerHave=%d base=%d minLat=%v queue=%d unacked=%d\n", ch.peer, ch.state, ch.requested, ch.requestLimit(), ch.choked, ch.paused(ls.net.now), ch.peerHave.count, ch.peerHave.base, ch.minLatency, ch.queued, len(ch.unacked))
		out += fmt.Sprintf("     first=%d later=%d origin=%v from=%d\n", ch.liveFirst, ch.liveLater, ch.originLike(), node.from[ch.peer])
	}
	return out
}
