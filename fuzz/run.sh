#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, ASan and UBSan (in build-fuzz/) and runs each for
# SECONDS, starting from its seed corpus and regression inputs. Exits 1 if any target
# crashed, leaked, hung or broke an invariant; the input that did it is kept and named with
# the command that reproduces it.
#
#   fuzz/run.sh                  every target for 6 s (what scripts/test runs)
#   fuzz/run.sh 600              every target for 10 minutes
#   fuzz/run.sh 600 range auth   only those
#
# Inputs libFuzzer finds interesting accumulate in build-fuzz/fuzz-work/<target>/corpus, so a
# second run starts where the first stopped; fuzz/corpus/ is never written to.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-6}
shift || true
if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

build=build-fuzz
if [[ ! -f $build/build.ninja ]]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    --buildtype=debugoptimized >/dev/null
else
  meson setup "$build" --reconfigure -Dfuzzing=true >/dev/null
fi
ninja -C "$build" "${targets[@]/#/fuzz/fuzz_}"

# halt_on_error: a UBSan finding is a crash like any other, not a line in a log.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1

failed=()
for target in "${targets[@]}"; do
  work=$build/fuzz-work/$target
  mkdir -p "$work/corpus"
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* # from an earlier run
  log=$work/last-run.log
  printf 'fuzz_%s: %s s ... ' "$target" "$seconds"
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that eats memory is a bug.
  if "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" \
      "$work/corpus" "fuzz/corpus/$target" "fuzz/regression/$target" >"$log" 2>&1; then
    grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2 " runs, ok"}'
  else
    echo "FAILED"
    tail -n 40 "$log"
    for artifact in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      [[ -e $artifact ]] || continue
      echo "  input: $artifact"
      echo "  reproduce: $build/fuzz/fuzz_$target $artifact   (or build/fuzz/fuzz_replay_$target)"
    done
    echo "  once fixed, keep it: cp <input> fuzz/regression/$target/<what-it-broke>"
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]}"
  exit 1
fi
