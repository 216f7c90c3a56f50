#!/usr/bin/env bash
# Interleaved A/B runs of `ppsppd bench`: each round runs every contender once, in turn, so
# that a machine shared with other work slows them alike; then medians per contender.
#
#   scripts/ab-bench.sh [-r ROUNDS] [-s MIB] [-c CHUNK] CONTENDER...
#
# A contender is a ppsppd binary (run as `BIN bench --size MIB --chunk-size CHUNK`) or
# `cmd:COMMAND`, any command that prints "N MB/s" (another program measured the same way,
# e.g. a BitTorrent client pair over loopback); @MIB in COMMAND becomes the size.
#   scripts/ab-bench.sh -r 5 /tmp/ppsppd-before bin/ppsppd
set -euo pipefail
rounds=5 size=256 chunk=1024
while getopts r:s:c: opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	s) size=$OPTARG ;;
	c) chunk=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r ROUNDS] [-s MIB] [-c CHUNK] CONTENDER..." >&2; exit 2; }

declare -A rate seedcpu leechcpu
for r in $(seq "$rounds"); do
	for c in "$@"; do
		if [[ $c == cmd:* ]]; then
			out=$(bash -c "$(echo "${c#cmd:}" | sed "s/@MIB/$size/g")" 2>&1)
		else
			out=$("$c" bench --size "$size" --chunk-size "$chunk" 2>&1)
		fi
		v=$(echo "$out" | sed -n 's/.* \([0-9.]*\) MB\/s.*/\1/p' | tail -1)
		s=$(echo "$out" | sed -n 's/^seeder .*(\([0-9.]*\) s\/GiB.*/\1/p')
		l=$(echo "$out" | sed -n 's/^leecher .*(\([0-9.]*\) s\/GiB.*/\1/p')
		rate[$c]="${rate[$c]:-} $v"
		seedcpu[$c]="${seedcpu[$c]:-} $s"
		leechcpu[$c]="${leechcpu[$c]:-} $l"
		echo "round $r  $c  ${v:-?} MB/s${s:+  seeder $s s/GiB}${l:+  leecher $l s/GiB}"
	done
done

median() {
	printf '%s\n' "$@" | grep . | sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}
echo "medians over $rounds rounds, $size MiB, $chunk-byte chunks:"
for c in "$@"; do
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	echo "  $c: $(median ${rate[$c]}) MB/s  cpu s/GiB seeder $(median ${seedcpu[$c]}) leecher $(median ${leechcpu[$c]})"
done
