// Package netlab builds small networks out of Linux network namespaces for tests that need
// a real kernel path between peers: a bottleneck with a real queue (tbf), random loss
// (nftables), and, through a userspace UDP relay, delay and reordering. This kernel has no
// netem, so the relay stands in for it.
//
// Everything a Lab creates is named with its prefix (NamePrefix, the creating process's PID
// and a sequence number), so concurrent test processes never collide, and everything is
// removed again: t.Cleanup deletes a lab's namespaces (killing what still runs in them,
// which only the lab started), and New first sweeps namespaces left behind by a process
// that is gone (a test binary killed before its cleanup ran). No interface, address or
// rule is ever added to the host's own namespace.
//
// The bottleneck belongs on a router namespace between the peers, never on a sending host:
// there TCP small queues throttle TCP at the qdisc and a measurement of TCP beside another
// flow says more about the qdisc than about the other flow (issue 17).
//
// A Lab needs root and the ip, nft and tc commands (iproute2, nftables); New skips the test
// with a message otherwise. The tests that use it carry the build tag netlab and run with
// make test-net (quick) and make bench-net (measurements).
package netlab
