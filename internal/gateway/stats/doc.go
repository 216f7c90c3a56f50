// Package stats is the STATS gateway: Prometheus metrics at /metrics and a human status page
// at /. It reads the node through its API only, and computes every metric at scrape time
// from one snapshot (the collector pattern of node_exporter), so the engine's hot path does
// no metric bookkeeping beyond its plain counters.
package stats
