// Package stats is the STATS gateway: Prometheus metrics at /metrics and a human status page
// at /. It reads the swarm manager only, in its plain types (swarmapi; it imports neither
// engine nor node), and computes every metric at scrape time from one NodeMetrics and the
// manager's swarm list (the collector pattern of node_exporter), so the engine's hot path
// does no metric bookkeeping beyond its plain counters, and a scrape or a status page costs
// one round trip to the node's loop however many swarms there are.
package stats
