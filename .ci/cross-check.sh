#!/usr/bin/env bash
# Type-checks netlab for the platforms of issue 18 from Linux, and proves the Windows chain
# (mingw + Wine + the stand-in bcryptprimitives.dll) runs a Rust .exe. Needs what
# .ci/cross-setup.sh installs; runs as any user that owns the Wine prefix.
#
#   bash .ci/cross-check.sh              the Wine proof, then every target
#   bash .ci/cross-check.sh TRIPLE...    only these targets (no Wine proof)
#
# Debian's toolchain is named explicitly: rustup's cargo and rustc come first in the usual
# PATH, and rustup cannot get the std of these targets (or rust-src) here. Cargo's
# -Zbuild-std builds std from Debian's rust-web-src instead; it is unstable, hence
# RUSTC_BOOTSTRAP=1 (the std's own crates come from crates.io). Each target keeps its own
# target dir under target/ so a second run is incremental and the Linux build is untouched.
#
# It prints, per target, the number of distinct errors and the files they are in, keeps the whole
# output in target/cross-TRIPLE/check.log, and exits 1 while any target has errors: until
# the port of issue 18 lands it fails, so .ci/run does not call it yet (docs/porting.md).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo=/usr/bin/cargo
export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
for tool in "$cargo" "$RUSTC"; do
  [ -x "$tool" ] || { echo "error: $tool not found: run .ci/cross-setup.sh first (as root)" >&2; exit 1; }
done
# The builds run at the lowest priority: on a shared machine the others' compiles go first.
nice=(nice -n 19)

# The proof that the Wine chain works: a hello-world that seeds a HashMap (RandomState calls
# ProcessPrng), built for Windows in a temporary crate and run under Wine. It exits 0; it
# exits 53 if the stand-in DLL is missing from the prefix.
wine_proof() {
  local dir tgt=$PWD/target/cross-hello start rc
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' RETURN
  mkdir "$dir/src"
  printf '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n' >"$dir/Cargo.toml"
  cat >"$dir/src/main.rs" <<'RS'
use std::collections::HashMap;
fn main() {
    let mut seen = HashMap::new();
    seen.insert("netlab", 1);
    println!("hello from x86_64-pc-windows-gnu under Wine ({} key)", seen.len());
}
RS
  start=$SECONDS
  (cd "$dir" && CARGO_TARGET_DIR=$tgt "${nice[@]}" "$cargo" build -q -Zbuild-std --target x86_64-pc-windows-gnu)
  echo "wine: built hello.exe in $((SECONDS - start)) s"
  rc=0
  WINEDEBUG=-all /usr/lib/wine/wine64 "$tgt/x86_64-pc-windows-gnu/debug/hello.exe" || rc=$?
  echo "wine: hello.exe exited $rc"
  [ "$rc" = 0 ] || { echo "error: hello.exe under Wine exited $rc (53: bcryptprimitives.dll missing, run .ci/cross-setup.sh)" >&2; return 1; }
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  wine_proof
  targets=(x86_64-pc-windows-gnu aarch64-apple-darwin x86_64-apple-darwin x86_64-unknown-freebsd)
fi

failed=0
for t in "${targets[@]}"; do
  dir=target/cross-$t
  mkdir -p "$dir"
  log=$dir/check.log
  start=$SECONDS
  # --message-format=short: one line per diagnostic, starting with its file, for the counts.
  # Written aside and moved in place: Cargo's lock serialises two runs on one target dir,
  # but not their logs (two runs writing one file interleave it).
  status=0
  part=$(mktemp "$log.XXXXXX")
  "${nice[@]}" "$cargo" check --locked --all-targets -Zbuild-std --target "$t" \
    --target-dir "$dir" --message-format=short >"$part" 2>&1 || status=$?
  mv "$part" "$log"
  errors=$(grep -acE '^[^ ]+:[0-9]+:[0-9]+: error' "$log" || true)
  echo "$t: $errors errors (cargo exit $status, $((SECONDS - start)) s)"
  # Cargo prints a diagnostic shared by the lib and its unit tests once; its own summary
  # counts per unit (the lib's count is the size of the port, `lib test` adds the tests').
  grep -aE '^error: could not compile' "$log" | sed 's/^/    /' || true
  if [ "$errors" -gt 0 ]; then
    grep -aE '^[^ ]+:[0-9]+:[0-9]+: error' "$log" | cut -d: -f1 | sort | uniq -c | sort -rn | sed 's/^/    /'
  fi
  # A failure with no diagnostic in netlab's code (a dependency, the std build) is shown whole.
  if [ "$status" != 0 ] && [ "$errors" = 0 ]; then
    tail -n 20 "$log" | sed 's/^/    /'
  fi
  [ "$status" = 0 ] || failed=1
done
exit "$failed"
