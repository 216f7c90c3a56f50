// Package swarms is the swarm manager: it owns every swarm's life in the daemon and in the
// CLI — adding by swarm ID or link, seeding local files, opening storage, periodic and
// final checkpoints, states, progress and rates, retrying silent peers with capped
// backoff, rate limits, the persisted swarm list, and readers for players — on top of one
// node (internal/node), which it also runs.
//
// Gateways and commands talk only to a Manager, in the plain types of package swarmapi
// (re-exported here by alias): Status structs, Events on subscriptions that end with the
// subscriber's context, NodeMetrics, and Readers. Nothing here hands out engine types;
// metrics.go is the one file that translates the engine's counters.
//
// # Goroutines
//
// Run owns them all: the node's loop, the manager's own loop (engine events, a tick that
// samples rates, retries peers and writes checkpoints), and one short-lived goroutine per
// swarm being opened (opening may hash a file). They end before Run returns.
//
// # Files
//
// With a state directory the manager keeps there:
//
//   - swarms.json: the swarm list (what to download or seed, peers, limits, stopped or
//     not), replaced atomically on every change; read at start, so swarms come back
//     after a restart or a crash from their checkpoints without rehashing;
//   - checkpoints/HEX.ppsppd: the checkpoint of each downloaded swarm (the content file
//     itself is in the content directory);
//   - seed-NAME.ppsppd: the checkpoint of each seeded local file (named after its path,
//     since the swarm ID is known only once the file is hashed).
//
// Without one (the CLI's `get`), nothing is persisted and a download's checkpoint lies
// beside its content file (OUT.ppsppd), as before.
package swarms
