# The environment of every Windows (x86_64-pc-windows-gnu) build from Linux, sourced by
# .ci/win.sh and .ci/release.sh so the two cannot drift apart (issue 18).
#
# Debian's toolchain comes first in PATH (rustup cannot get this target's std here) and
# -Zbuild-std builds std from rust-web-src (RUSTC_BOOTSTRAP=1); mingw links, Wine's loader
# is Cargo's runner. The target dir, target/cross-x86_64-pc-windows-gnu, is kept between
# runs. `win_cargo` holds the flags every cargo command for Windows takes.
export PATH=/usr/bin:$PATH RUSTC_BOOTSTRAP=1 WINEDEBUG=-all
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=/usr/lib/wine/wine64
win_target=x86_64-pc-windows-gnu
# shellcheck disable=SC2034 # used by the scripts that source this file
win_cargo=(--locked -Zbuild-std --target "$win_target" --target-dir "target/cross-$win_target")
