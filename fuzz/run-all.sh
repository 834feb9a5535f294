#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 20 s each) over its checked-in seeds
# (fuzz/seeds/<target>/: valid packets, plus every input that ever crashed a parser,
# kept as a regression). A crash fails the run and leaves the input in fuzz/artifacts/.
#
#   fuzz/run-all.sh [SECONDS]        build, then run each target SECONDS
#   fuzz/run-all.sh build            only build (.ci/run builds while it waits for another
#                                    lane, and runs later)
#   fuzz/run-all.sh run [SECONDS]    only run (after a build)
#
# cargo-fuzz needs nightly-only rustc flags; this machine has one stable toolchain, so
# RUSTC_BOOTSTRAP=1 lets stable rustc accept them (the fuzz crate is never shipped).
set -euo pipefail
cd "$(dirname "$0")/.."
build=1 run=1
case ${1:-} in
  build) run=0; shift ;;
  run) build=0; shift ;;
esac
seconds=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
[ "$build" = 0 ] || cargo fuzz build
[ "$run" = 1 ] || exit 0
for target in $targets; do
  corpus=$(mktemp -d)
  cp fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s"
  log="$corpus.log"
  status=0
  cargo fuzz run "$target" "$corpus" -- -max_total_time="$seconds" >"$log" 2>&1 || status=$?
  grep -E '^(Done|==[0-9]+==|SUMMARY|thread .* panicked)' "$log" || true
  rm -rf "$corpus" "$log"
  if [ "$status" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $status); the crashing input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzz: every target ran ${seconds}s without a crash"
