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
# -Zbuild-std builds it from rust-web-src (RUSTC_BOOTSTRAP=1). The targets share one target
# dir, target/cross-check, kept between runs, so a warm run only checks netlab again. It
# prints the wall-clock seconds it took.
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
if [ "${NETLAB_CI_SETUP:-}" = done ]; then
  :
elif [ "$(id -u)" = 0 ]; then
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

# One cargo run for every target: the proc macros and build scripts run on this host, and
# built once they serve all three (three runs built them three times: 14.3 minutes cold
# against 12.0 for this one, measured). Cargo reports a target's errors with its triple.
dir=target/cross-check
mkdir -p "$dir"
log=$dir/clippy.log
target_args=()
for t in "${targets[@]}"; do
  target_args+=(--target "$t")
done
status=0
nice -n 19 cargo clippy --locked --all-targets -Zbuild-std "${target_args[@]}" --target-dir "$dir" \
  --message-format=short -- -D warnings >"$log" 2>&1 || status=$?
echo "cross: ${targets[*]}: clippy --all-targets -D warnings: exit $status"
echo "cross: total $((SECONDS - start)) s"
if [ "$status" != 0 ]; then
  grep -aE '^[^ ]+:[0-9]+:[0-9]+: (error|warning)' "$log" | head -n 40 | sed 's/^/    /' || true
  tail -n 5 "$log" | sed 's/^/    /'
  echo "error: clippy is not clean for every target (the whole output: $log)" >&2
  exit 1
fi
