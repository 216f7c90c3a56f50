# ppsppd developer targets. `make test` is what CI runs (.ci/run) and what the README gives.
GO       ?= go
BIN      ?= bin/ppsppd
FUZZTIME ?= 60s
# Each fuzz target as package:Name; `make fuzz` runs each for FUZZTIME.
FUZZ_TARGETS := ./internal/wire:FuzzDatagram ./internal/wire:FuzzOptions ./internal/engine:FuzzEngine ./internal/hashtree:FuzzPeerInput ./internal/capture:FuzzRead ./internal/swarmurl:FuzzParse ./internal/storage:FuzzCheckpoint ./internal/config:FuzzDecode ./internal/gateway/cmd:FuzzParseLine ./internal/gateway/http:FuzzParseContentRequest ./internal/gateway/http:FuzzRangeHeader ./internal/multifile:FuzzSpec
CAPTURE  ?= testdata/interop/vod-1025B-sha1-1024.pcap

.PHONY: build test fmt-check vet bench bench-transfer bench-small bench-daemon bench-http bench-load fuzz run demo dissect clean

build:
	$(GO) build -o $(BIN) ./cmd/ppsppd

test: fmt-check vet
	$(GO) test -race ./...

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

dissect: build
	./$(BIN) dissect $(CAPTURE)

clean:
	rm -rf bin
