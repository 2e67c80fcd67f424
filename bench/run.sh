#!/bin/sh
# Runs the benchmark on generated streams of 1M and 4M records (and 10M with --large), all
# with a registry of 3000 units (plus the ten towns) and 6000 new-media accounts, and prints
# a markdown table; then times `rulebook run` end to end on the same records as JSON Lines
# and as CSV against the floor (rulebook_floor: simdjson over the JSON Lines, every field
# touched, nothing else) and prints a second table with the ratios of their CPU times.
# Builds nothing: give it a build directory that has rulebook_bench, rulebook_floor and
# rulebook (cmake -S . -B build -G Ninja && ninja -C build, a Release build).
#
#   bench/run.sh BUILD_DIR [--large] [--repeat K] [--id-pool P] [--csv] [--rules FILE] [--clean]
#                          [--fixed-only]
#
#   --large       also 10M records (about 1 GB of JSON Lines; the VM-only phase then holds
#                 10M Records, about 5.4 GB, in memory)
#   --repeat K    run each phase K times and keep the fastest (default 3)
#   --id-pool P   case ids are drawn from P ids per unit (default 20); 0 gives every case
#                 record a fresh id, so the number of distinct ids grows with the records
#   --csv         rulebook_bench reads events.csv instead of events.jsonl (the second table
#                 always has both)
#   --rules FILE  the rulebook whose registries are scaled (default rules/yunhe-2022.rules)
#   --clean       delete the generated streams afterwards
#   --fixed-only  only the first table, the fixed cost (see below)
#
# Streams (events.jsonl and events.csv, the same records) go to
# /tmp/rulebook-bench-<records>[-pool<P>]/ and are reused when they were generated with the
# same arguments. Each run's full report is kept next to the stream (bench.txt, floor.txt).
# A first table has the fixed cost, what a run costs with no records: `rulebook run` on a
# registry of 30000 units and 60000 accounts and no records, and `rulebook compile` of the
# 3000-unit rulebook (generated into /tmp/rulebook-bench-fixed-<units>/).
set -eu

usage() {
  sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
fixed_only=0 large=0 repeat=3 pool=20 events=events.jsonl clean=0 rules=$here/../rules/yunhe-2022.rules
while [ $# -gt 0 ]; do
  case $1 in
    --large) large=1 ;;
    --repeat) [ $# -ge 2 ] || usage; repeat=$2; shift ;;
    --id-pool) [ $# -ge 2 ] || usage; pool=$2; shift ;;
    --csv) events=events.csv ;;
    --rules) [ $# -ge 2 ] || usage; rules=$2; shift ;;
    --clean) clean=1 ;;
    --fixed-only) fixed_only=1 ;;
    *) usage ;;
  esac
  shift
done

suffix=""
if [ "$pool" != 20 ]; then suffix="-pool$pool"; fi
bench=$build/rulebook_bench floor=$build/rulebook_floor rulebook=$build/rulebook
for exe in "$bench" "$floor" "$rulebook"; do
  if [ ! -x "$exe" ]; then
    echo "run.sh: $exe not found; build first: cmake -S . -B $build -G Ninja && ninja -C $build" >&2
    exit 1
  fi
done
units=3000 accounts=6000
sizes="1000000 4000000"
if [ $large -eq 1 ]; then sizes="$sizes 10000000"; fi

# Runs generate.py ARGS into DIR, unless DIR has FILE from the same arguments (and the same
# rulebook and generator) already.
generate() {
  dir=$1 file=$2
  shift 2
  stamp="$* $(cat "$rules" "$here/generate.py" | cksum)"
  if [ ! -f "$dir/$file" ] || [ "$(cat "$dir/args.txt" 2>/dev/null)" != "$stamp" ]; then
    echo "generating $* into $dir ..." >&2
    rm -rf "$dir"
    python3 "$here/generate.py" "$@" --rules "$rules" --out "$dir"
    echo "$stamp" > "$dir/args.txt"
  fi
}

# The fixed cost: a run with no records at 30000 units and 60000 accounts (the registry, the
# compiled rulebook, the VM's state and the results of every unit, written as JSON to
# /dev/null), and compiling the 3000-unit rulebook. No stream: generated with --records 0.
fixed_rows=""
for scale in "30000 60000 run" "3000 6000 compile"; do
  set -- $scale
  dir=/tmp/rulebook-bench-fixed-$1
  generate "$dir" bench.rules --units "$1" --accounts "$2" --records 0
  echo "timing rulebook $3 on $dir ..." >&2
  if [ "$3" = run ]; then
    "$floor" --time "$repeat" -- "$rulebook" run "$dir/bench.rules" --events "$dir/events.jsonl" > "$dir/time.txt"
  else
    "$floor" --time "$repeat" -- "$rulebook" compile "$dir/bench.rules" -o "$dir/bench.rbc" > "$dir/time.txt"
  fi
  fixed_rows="$fixed_rows$(awk -v what="\`rulebook $3\`, $1 units + 10 towns, $2 accounts" '
    /^TIME / { for (i = 2; i <= NF; ++i) { split($i, kv, "="); t[kv[1]] = kv[2] } }
    END { printf "| %s | %.3f | %.3f | %.1f |\n", what, t["wall"], t["cpu"], t["peak_mb"] }' "$dir/time.txt")
"
  if [ $clean -eq 1 ]; then rm -rf "$dir"; fi
done
echo "Fixed cost (no records; $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), fastest of $repeat:"
echo
echo "| command | wall s | CPU s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: |"
printf '%s' "$fixed_rows"
echo
if [ $fixed_only -eq 1 ]; then exit 0; fi

rows="" end_rows=""
for n in $sizes; do
  dir=/tmp/rulebook-bench-$n$suffix
  generate "$dir" "$events" --units $units --accounts $accounts --records "$n" --id-pool "$pool" --csv
  echo "benchmarking $dir/$events ..." >&2
  "$bench" "$dir/bench.rules" "$dir/$events" --repeat "$repeat" > "$dir/bench.txt"
  cat "$dir/bench.txt" >&2
  echo >&2
  line=$(grep '^BENCH ' "$dir/bench.txt")
  get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  rate() { awk -v w="$(get "$1")" -v c="$(get "$2")" 'BEGIN { printf "%.2f / %.2f", w / 1e6, c / 1e6 }'; }
  rows="$rows$(printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
    "$(get records)" "$(get file_mb)" "$(rate read_rps read_cpu_rps)" "$(rate vm_rps vm_cpu_rps)" \
    "$(get read_peak_mb)" "$(get stream_peak_mb)" "$(get read_end_mb)" "$(get vm_state_mb)" \
    "$(get allocs) ($(get allocs_per_record))")
"
  echo "timing rulebook run against the floor on $dir ..." >&2
  "$floor" "$dir/events.jsonl" --repeat "$repeat" > "$dir/floor.txt"
  for f in events.jsonl events.csv; do
    echo "rulebook run --events $f:" >> "$dir/floor.txt"
    "$floor" --time "$repeat" -- "$rulebook" run "$dir/bench.rules" --events "$dir/$f" >> "$dir/floor.txt"
  done
  cat "$dir/floor.txt" >&2
  echo >&2
  end_rows="$end_rows$(awk -v n="$n" '
    /^FLOOR / { for (i = 2; i <= NF; ++i) { split($i, kv, "="); fl[kv[1]] = kv[2] } }
    /^TIME / { ++t; for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == "cpu") cpu[t] = kv[2]; else if (kv[1] == "wall") wall[t] = kv[2] } }
    END {
      printf "| %s | %.3f / %.3f | %.3f / %.3f | %.1f | %.3f / %.3f | %.1f | %.2f / %.2f |\n", n, fl["wall"], fl["cpu"],
             wall[1], cpu[1], cpu[1] / fl["cpu"], wall[2], cpu[2], cpu[2] / fl["cpu"], n / cpu[1] / 1e6, n / cpu[2] / 1e6
    }' "$dir/floor.txt")
"
  if [ $clean -eq 1 ]; then rm -rf "$dir"; fi
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "$(nproc) cores ($cpu), $units units + 10 towns, $accounts accounts, ids: $(if [ "$pool" -eq 0 ]; then echo 'a fresh one per record'; else echo "a pool of $pool per unit"; fi), $events, fastest of $repeat"
echo
echo "| records | file MB | read+score M rec/s (wall / CPU) | VM-only M rec/s (wall / CPU) | peak RSS MB, read+score | peak RSS MB, streamed in 16 MB chunks | RSS MB after read+score | VM state MB | allocations after the warm-up (per record) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s' "$rows"
echo
echo "\`rulebook run\` end to end (compile, read, score, JSON to /dev/null) against the floor (rulebook_floor: simdjson over events.jsonl, every field touched, nothing else), seconds wall / CPU, fastest of $repeat:"
echo
echo "| records | floor, JSON Lines | rulebook run, JSON Lines | CPU ratio to floor | rulebook run, CSV | CPU ratio to floor | M rec/s of CPU, JSON Lines / CSV |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s' "$end_rows"
