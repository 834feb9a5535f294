#!/usr/bin/env bash
# The other platforms of issue 18 in CI, from Linux: what is green is run here, and
# .ci/run calls this script (a person can too: `sudo bash .ci/cross.sh`).
#
#   bash .ci/cross.sh              every target below
#   bash .ci/cross.sh TRIPLE...    only these
#
# For macOS (Apple silicon and Intel) and FreeBSD it runs clippy with -D warnings over
# --all-targets (lib, bin, tests, benches, examples): that is `cargo check` (every type
# error) plus the lints. Nothing here links or runs those builds: there is no macOS or
# FreeBSD linker, libc or kernel on this machine, so their behaviour is not tested (the
# README says so).
#
# Windows (x86_64-pc-windows-gnu) has its own script, .ci/win.sh: it is linked there and
# run under Wine, which needs the Windows half of .ci/cross-setup.sh.
#
# Toolchain: Debian's rustc-web/cargo-web/rust-web-clippy (installed by
# .ci/cross-setup.sh, run first here without its Windows half), put first in PATH so cargo, rustc, cargo-clippy
# and clippy-driver are all Debian's: rustup cannot get these targets' std here, and
# -Zbuild-std builds it from rust-web-src (RUSTC_BOOTSTRAP=1). Each target keeps its own
# target dir (target/cross-TRIPLE, shared with .ci/cross-check.sh) so a warm run only
# checks netlab again. It prints the wall-clock seconds of each step.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
if [ "$(id -u)" = 0 ]; then
  CROSS_WINDOWS=0 bash .ci/cross-setup.sh >/dev/null
  echo "cross: setup $((SECONDS - start)) s"
else
  echo "cross: not root, so .ci/cross-setup.sh is not run (it must have been, once)"
fi

export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1
# ring (rustls' arithmetic) compiles C in its build script; there is no macOS C toolchain
# here and a type check never links, so macOS gets a stand-in that writes empty objects
# (.ci/cc-type-check-only says why). FreeBSD's and Windows' C goes through gcc/mingw.
CC_aarch64_apple_darwin=$PWD/.ci/cc-type-check-only
CC_x86_64_apple_darwin=$PWD/.ci/cc-type-check-only
export CC_aarch64_apple_darwin CC_x86_64_apple_darwin
for tool in cargo rustc cargo-clippy clippy-driver; do
  [ -x "/usr/bin/$tool" ] || { echo "error: /usr/bin/$tool not found: run .ci/cross-setup.sh (as root)" >&2; exit 1; }
done

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-apple-darwin x86_64-apple-darwin x86_64-unknown-freebsd)

failed=()
for t in "${targets[@]}"; do
  step=$SECONDS
  dir=target/cross-$t
  mkdir -p "$dir"
  log=$dir/clippy.log
  status=0
  nice -n 19 cargo clippy --locked --all-targets -Zbuild-std --target "$t" --target-dir "$dir" \
    --message-format=short -- -D warnings >"$log" 2>&1 || status=$?
  echo "cross: $t clippy --all-targets -D warnings: exit $status, $((SECONDS - step)) s"
  if [ "$status" != 0 ]; then
    grep -aE '^[^ ]+:[0-9]+:[0-9]+: (error|warning)' "$log" | head -n 40 | sed 's/^/    /' || true
    tail -n 5 "$log" | sed 's/^/    /'
    failed+=("$t")
  fi
done
echo "cross: total $((SECONDS - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: not clean for: ${failed[*]} (logs in target/cross-TRIPLE/clippy.log)" >&2
  exit 1
fi
