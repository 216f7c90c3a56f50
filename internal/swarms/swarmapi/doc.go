// Package swarmapi holds the plain types the swarm manager (internal/swarms) speaks:
// swarm statuses, events, specs and node metrics. It imports neither the engine nor the
// node, so a gateway can name these types without pulling the protocol core into its
// dependencies; internal/swarms re-exports every one of them under the same name.
package swarmapi
