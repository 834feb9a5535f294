#!/usr/bin/env bash
# Windows (x86_64-pc-windows-gnu) in CI, from Linux (issue 18); .ci/run calls it, a
# person can too (`sudo bash .ci/win.sh`; as another user once setup has run).
#
#   1. `.ci/cross-setup.sh` (as root): Debian's rustc-web toolchain, mingw, Wine, the
#      prefix with the stand-in bcryptprimitives.dll;
#   2. clippy -D warnings over every target of netlab for Windows;
#   3. the debug build of netlab.exe (what tests/it/windows.rs runs under Wine:
#      --version, resolve, connect and ping against this host's loopback);
#   4. the library's unit tests, built for Windows and run under Wine (Cargo's runner).
#
# Debian's toolchain comes first in PATH (rustup cannot get this target's std here) and
# -Zbuild-std builds std from rust-web-src (RUSTC_BOOTSTRAP=1). The target dir,
# target/cross-x86_64-pc-windows-gnu, is kept between runs: a warm run only rebuilds
# netlab. It prints the wall-clock seconds of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
if [ "$(id -u)" = 0 ]; then
  bash .ci/cross-setup.sh >/dev/null
  echo "win: setup $((SECONDS - start)) s"
else
  echo "win: not root, so .ci/cross-setup.sh is not run (it must have been, once)"
fi

t=x86_64-pc-windows-gnu
export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 WINEDEBUG=-all
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
common=(--locked -Zbuild-std --target "$t" --target-dir "target/cross-$t")

step() {
  local name=$1 began=$SECONDS
  shift
  nice -n 19 "$@"
  echo "win: $name $((SECONDS - began)) s"
}
step "clippy --all-targets -D warnings" cargo clippy "${common[@]}" --all-targets -- -D warnings
step "build netlab.exe" cargo build "${common[@]}" --bin netlab
step "unit tests under Wine" cargo test "${common[@]}" --lib
echo "win: total $((SECONDS - start)) s"
