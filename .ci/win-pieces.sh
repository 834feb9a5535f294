#!/usr/bin/env bash
# The parts of src/net/ already ported to Windows, checked and unit-tested under Wine while
# netlab as a whole does not build for Windows yet (issue 18; docs/porting.md).
#
# rustc stops at name resolution while any module fails to resolve, so the Windows code in
# the ported files would never be type-checked inside netlab. This script builds them on
# their own: a scratch crate whose lib.rs includes each ported file by #[path] (same
# module paths as in netlab, so `crate::net::...` resolves), with netlab's Cargo.lock and
# dependency versions, for x86_64-pc-windows-gnu with -Zbuild-std. It runs clippy -D
# warnings and then the files' unit tests under Wine (Cargo's runner), and fails if
# either fails. Needs .ci/cross-setup.sh (with its Windows half: mingw, Wine, the
# stand-in bcryptprimitives.dll). When netlab itself builds for Windows, this script goes
# and `cargo test --target x86_64-pc-windows-gnu` takes its place.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The ported files, as module path = file under src/net/.
ported=(kinds:kinds.rs sys:sys/mod.rs limits:limits.rs)

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/src"
cp Cargo.lock "$dir/"
# The dependencies the ported files use, at netlab's versions (the lock file pins them).
{
  printf '[package]\nname = "netlab-win-pieces"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
  grep -E '^(socket2|tokio) = ' Cargo.toml
  printf '\n[target."cfg(windows)".dependencies]\n'
  grep -E '^windows-sys = ' Cargo.toml
} >"$dir/Cargo.toml"
{
  echo '#![deny(warnings)]'
  echo 'pub mod net {'
  for p in "${ported[@]}"; do
    printf '    #[path = "%s/src/net/%s"]\n    pub mod %s;\n' "$root" "${p#*:}" "${p%%:*}"
  done
  echo '}'
} >"$dir/src/lib.rs"

export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 WINEDEBUG=-all
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
target_dir=$root/target/cross-x86_64-pc-windows-gnu
common=(--offline -Zbuild-std --target x86_64-pc-windows-gnu --target-dir "$target_dir")
cd "$dir"
start=$SECONDS
nice -n 19 cargo clippy "${common[@]}" --all-targets -- -D warnings
nice -n 19 cargo test "${common[@]}"
echo "win-pieces: ${ported[*]}: clippy clean, unit tests pass under Wine ($((SECONDS - start)) s)"
