# ppsppd developer targets. `make test` is what CI runs (.ci/run) and what the README gives.
GO       ?= go
BIN      ?= bin/ppsppd
FUZZTIME ?= 60s
# Each fuzz target as package:Name; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := ./internal/wire:FuzzDatagram ./internal/wire:FuzzOptions ./internal/engine:FuzzEngine ./internal/engine:FuzzLiveEngine \
	./internal/hashtree:FuzzPeerInput ./internal/capture:FuzzRead ./internal/swarmurl:FuzzParse \
	./internal/storage:FuzzCheckpoint ./internal/config:FuzzDecode ./internal/gateway/cmd:FuzzParseLine \
	./internal/gateway/http:FuzzParseContentRequest ./internal/gateway/http:FuzzRangeHeader \
	./internal/multifile:FuzzSpec ./internal/livesig:FuzzParseSwarmID ./internal/live:FuzzVerifier \
	./internal/booster:FuzzExtract ./internal/gateway/http:FuzzSniffType ./internal/livebuf:FuzzTSStart
CAPTURE  ?= testdata/interop/vod-1025B-sha1-1024.pcap

.PHONY: build test test-net fmt-check vet bench bench-transfer bench-small bench-daemon bench-scale bench-bigseed bench-http bench-load bench-dht bench-booster bench-net bench-live fuzz run demo dissect clean

build:
	$(GO) build -o $(BIN) ./cmd/ppsppd

test: fmt-check vet
	$(GO) test -race ./...
	@# The engine's long deterministic simulations (issue 17's link beside CUBIC and BBR) skip
	@# under -race, which finds nothing in one goroutine and makes them ten times slower.
	$(GO) test -run 'Issue17' ./internal/engine

# Real kernel paths between network namespaces (internal/netlab; needs root, iproute2,
# nftables, iperf3; skips without them): the harness itself, a small download beside TCP
# through a tbf bottleneck, and 1 seeder + 6 leechers through 2 % loss, delay and
# reordering. About two minutes.
test-net:
	$(GO) test -tags netlab -race -count=1 -timeout 15m -v ./internal/netlab/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# A 512 MiB transfer between a seeder and a leecher process over loopback.
bench-transfer: build
	./$(BIN) bench --size 512

# The same at libswift's default 1 KiB chunks, where per-chunk costs dominate (256 MiB;
# PPSPPD_BENCH_MIB=N for another size). scripts/ab-bench.sh interleaves runs of two builds.
bench-small: build
	./$(BIN) bench --size $${PPSPPD_BENCH_MIB:-256} --chunk-size 1024

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# The daemon on its built-in default configuration (ppsppd config default prints it).
run: build
	./$(BIN) serve

# Two processes end to end: seed a generated file, download it with a second process over
# loopback UDP, compare.
demo: build
	BIN=$(BIN) ./scripts/demo.sh

# 1,000 swarms added over the CMD port of a real daemon, then a restart (times, RSS, LIST).
bench-daemon:
	$(GO) test -run '^$$' -bench Daemon1000 -benchtime 1x ./cmd/ppsppd

# Zero-state swarms: 10,000 small seeds on one daemon (RSS loaded and after a restart as
# records, time to READY, LIST), and the first HANDSHAKE reply for 200 cold swarms
# (PPSPPD_BENCH_SWARMS, PPSPPD_BENCH_COLD to change). Then 1,000 completed downloads of a
# second daemon: its RSS before and after a restart (PPSPPD_BENCH_DOWNLOADS to change).
bench-scale:
	$(GO) test -run '^$$' -bench 'DaemonScale10k|DaemonDownloads1k' -benchtime 1x -timeout 60m -v ./cmd/ppsppd

# A generated 16 GiB file (sparse, 1 KiB chunks) seeded while a second daemon downloads
# from it for 20 s: the seeder's RSS (PPSPPD_BENCH_GIB, PPSPPD_BENCH_SECONDS to change).
# Needs about 1 GiB of disk for the hashes besides the sparse file; all deleted after.
bench-bigseed:
	$(GO) test -run '^$$' -bench DaemonSeed16GiB -benchtime 1x -timeout 60m -v ./cmd/ppsppd

# The HTTP gateway with real daemons over loopback: throughput of a seeded 512 MiB swarm
# (PPSPPD_BENCH_MIB=N for less) next to reading the file from disk, time to first byte of
# Range reads into a swarm not downloaded yet, ffprobe of a 100 MiB moov-at-end MP4 next
# to its whole download (needs ffmpeg; curl is used when present).
bench-http:
	$(GO) test -run '^$$' -bench 'GatewayThroughput|GatewayTTFB|FFprobeMoovAtEnd' -benchtime 1x -v ./cmd/ppsppd

# One daemon seeding 2,000 swarms, 300 simulated leechers (one loadpeers process) for 20 s:
# RSS, CPU, datagrams/s, and every datagram accounted for (daemon counters + kernel drops).
bench-load:
	$(GO) test -run '^$$' -bench DaemonLoad -benchtime 1x -v ./cmd/ppsppd

# The DHT (issue 14): lookups among 20 in-process nodes on loopback (time to the first peer
# and to the traversal's end, median and p90; Go heap per node), and the RSS and Go heap a
# daemon gains with the DHT on, next to one with it off; and 20 real daemons on 127.0.0.1, 18 of
# them given only a bare swarm ID in turn: time from the ADD to peers found, the first peer
# and the download complete (median and p90), DHT table sizes.
bench-dht:
	$(GO) test -run '^$$' -bench DHTLookup20Nodes -benchtime 5x -v ./internal/discovery/dht
	$(GO) test -run '^$$' -bench DHTDaemonRSS -benchtime 1x -v ./cmd/ppsppd
	$(GO) test -run '^$$' -bench DHTLookup20Daemons -benchtime 2x -v ./cmd/ppsppd

# The booster with real daemons over loopback: time from a link appearing in a feed to the
# booster seeding its swarm (10 MiB), the seeder found on the DHT ("dht") or named in the
# link ("peer").
bench-booster:
	$(GO) test -run '^$$' -bench BoosterFeedToSeed -benchtime 3x -v ./cmd/ppsppd

# Live streaming (issue 12): latency from a chunk entering a source to it leaving a second
# peer's HTTP gateway on loopback, per integrity method and bit rate; the source's CPU per
# Mbit/s per method and signature algorithm; a peer's heap after 10 minutes and after
# 3 hours of a 2 Mbit/s stream (about a minute).
bench-live:
	$(GO) test -run '^$$' -bench LiveEndToEndLatency -benchtime 1000x -v ./internal/gateway/http
	$(GO) test -run '^$$' -bench LiveSourceCPU -benchtime 2000x -v ./internal/engine
	$(GO) test -run '^$$' -bench LiveLongStream -benchtime 1x -v ./internal/engine

# Issue 17's measurements on real links (root): TCP CUBIC and BBR alone and beside a 48 MiB
# ppsppd download on a 20 Mbit/s, 300 ms router bottleneck, ppsppd alone, two ppsppd flows,
# then 1 seeder + 6 leechers of 16 MiB at 2 % and 10 % loss, with delay and reordering;
# prints the tables and goals. About 20 minutes (the 10 % loss run alone takes ~14).
# NETLAB_MIB / NETLAB_SWARM_MIB change the sizes.
bench-net:
	$(GO) test -tags netlab -count=1 -run '^$$' -bench 'Coexistence|LossSwarm' -benchtime 1x -timeout 60m -v ./internal/netlab/

dissect: build
	./$(BIN) dissect $(CAPTURE)

clean:
	rm -rf bin
