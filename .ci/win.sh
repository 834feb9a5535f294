#!/usr/bin/env bash
# Windows (x86_64-pc-windows-gnu) in CI, from Linux (issue 18); .ci/run calls it, a
# person can too (`sudo bash .ci/win.sh`; as another user once setup has run).
#
#   bash .ci/win.sh                  setup, then both steps below
#   bash .ci/win.sh release|tests    one step (.ci/run runs them apart, see there)
#
#   setup    `.ci/cross-setup.sh` (as root, unless NETLAB_CI_SETUP=done): Debian's
#            rustc-web toolchain, mingw, Wine, the prefix with the stand-in
#            bcryptprimitives.dll;
#   release  the release build of netlab.exe and its zip (.ci/release.sh): what users
#            get, and what tests/it/windows/ runs under Wine;
#   tests    every target of netlab for Windows (lib, bin, tests, examples; the bench is
#            Linux-only) built with clippy's lints as errors, then the library's unit tests run under
#            Wine (Cargo's runner).
#
# The lints and the unit tests are one debug build, not two: `cargo clippy` is `cargo
# check` with clippy-driver as RUSTC_WORKSPACE_WRAPPER, which lints netlab's own crates
# and otherwise compiles as rustc does; set for `cargo test`, it lints what the test
# build compiles anyway (-D warnings through RUSTFLAGS: Cargo caps the lints of
# dependencies and of the std it builds, so only netlab's code is held to it). The check
# of every target was a third build of std and every dependency for Windows (7-12
# minutes); the release build cannot be shared with the tests' either: with -Zbuild-std
# every crate of a test build depends on std's `test` crate, so none of its hashes match.
#
# The unit tests run in a Wine prefix of their own (NETLAB_WINE_UNIT_PREFIX, default
# target/cross-wine/prefix-unit): .ci/run runs them while tests/it/windows/, in the
# default prefix, start and stop that prefix's wineserver.
#
# The toolchain and flags are .ci/win-env.sh's (Debian's rustc-web, -Zbuild-std, mingw,
# Wine). The target dir, target/cross-x86_64-pc-windows-gnu, is kept between runs: a warm
# run only rebuilds netlab. It prints the wall-clock seconds of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(release tests)
for s in "${steps[@]}"; do
  case $s in
    release | tests) ;;
    *) echo "win.sh: no step '$s' (known: release tests)" >&2; exit 2 ;;
  esac
done

start=$SECONDS
unit_prefix=${NETLAB_WINE_UNIT_PREFIX:-$PWD/target/cross-wine/prefix-unit}
if [ "${NETLAB_CI_SETUP:-}" = done ]; then
  :
elif [ "$(id -u)" = 0 ]; then
  bash .ci/cross-setup.sh >/dev/null
  WINEPREFIX=$unit_prefix bash .ci/cross-setup.sh >/dev/null
  echo "win: setup $((SECONDS - start)) s"
else
  echo "win: not root, so .ci/cross-setup.sh is not run (it must have been, once)"
fi

# shellcheck source=win-env.sh
. .ci/win-env.sh

step() {
  local name=$1 began=$SECONDS
  shift
  nice -n 19 "$@"
  echo "win: $name $((SECONDS - began)) s"
}
linted=(env RUSTC_WORKSPACE_WRAPPER=/usr/bin/clippy-driver RUSTFLAGS="-D warnings")
# Cargo.toml compiles the picture, font and TLS crates at opt-level 3 even in debug
# builds (a PNG renders ~20x slower unoptimised, and the Linux lab compares connect's TLS
# phase with curl's). The Windows unit tests do not need it (12.3 s under Wine either
# way), and those crates are a third
# of the Windows test build: at opt-level 0 it took 13.2 CPU-minutes instead of 16.2
# (7.4 instead of 8.9 minutes alone on this 2-core machine). The same overrides for the
# build and the run, so the run compiles nothing again.
unoptimized=()
for crate in $(sed -n 's/^\[profile\.dev\.package\.\([^]]*\)\]$/\1/p' Cargo.toml); do
  unoptimized+=(--config "profile.dev.package.$crate.opt-level=0")
done
for s in "${steps[@]}"; do
  case $s in
    release)
      step "release netlab.exe and its zip" bash .ci/release.sh "$win_target"
      ;;
    tests)
      [ -e "$unit_prefix/system.reg" ] || {
        echo "error: no Wine prefix at $unit_prefix: run \`sudo WINEPREFIX=$unit_prefix bash .ci/cross-setup.sh\`" >&2
        exit 1
      }
      # Every target but the bench, which is Linux-only (an empty crate elsewhere: no
      # main to link, nothing to lint; .ci/cross.sh type-checks it as such).
      step "every target built with clippy -D warnings" \
        "${linted[@]}" cargo test "${unoptimized[@]}" "${win_cargo[@]}" --lib --bins --tests --examples --no-run
      step "unit tests under Wine" \
        "${linted[@]}" WINEPREFIX="$unit_prefix" cargo test "${unoptimized[@]}" "${win_cargo[@]}" --lib
      ;;
  esac
done
echo "win: total $((SECONDS - start)) s"
