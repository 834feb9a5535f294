#!/usr/bin/env bash
# Windows (x86_64-pc-windows-gnu) in CI, from Linux (issue 18); .ci/run calls it, a
# person can too (`sudo bash .ci/win.sh`; as another user once setup has run).
#
#   1. `.ci/cross-setup.sh` (as root): Debian's rustc-web toolchain, mingw, Wine, the
#      prefix with the stand-in bcryptprimitives.dll;
#   2. clippy -D warnings over every target of netlab for Windows;
#   3. the release build of netlab.exe and its zip (.ci/release.sh): what users get, and
#      what tests/it/windows/ runs under Wine (no debug netlab.exe is built besides: one
#      Windows build of netlab instead of two);
#   4. the library's unit tests, built for Windows and run under Wine (Cargo's runner).
#
# The toolchain and flags are .ci/win-env.sh's (Debian's rustc-web, -Zbuild-std, mingw,
# Wine). The target dir, target/cross-x86_64-pc-windows-gnu, is kept between runs: a warm
# run only rebuilds netlab. It prints the wall-clock seconds of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
if [ "$(id -u)" = 0 ]; then
  bash .ci/cross-setup.sh >/dev/null
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
step "clippy --all-targets -D warnings" cargo clippy "${win_cargo[@]}" --all-targets -- -D warnings
step "release netlab.exe and its zip" bash .ci/release.sh "$win_target"
step "unit tests under Wine" cargo test "${win_cargo[@]}" --lib
echo "win: total $((SECONDS - start)) s"
