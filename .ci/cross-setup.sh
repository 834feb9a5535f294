#!/usr/bin/env bash
# The cross-build toolchain for issue 18 (netlab on Windows, macOS, FreeBSD), installed on
# a Debian (bookworm) machine. Idempotent: a second run installs nothing and only checks.
# Run as root (apt-get); a person can run it too: `sudo bash .ci/cross-setup.sh`.
#
# What it leaves behind, and why each piece is needed:
#   rustc-web, cargo-web  Debian's second Rust toolchain, in /usr/bin (behind rustup's in the
#                         usual PATH, so .ci/cross-check.sh names /usr/bin/cargo and
#                         /usr/bin/rustc). rustup cannot download targets or rust-src here
#                         (only the package registries are reachable), Debian's Rust can be
#                         had through apt.
#   rust-web-clippy       clippy for that toolchain (cargo-clippy, clippy-driver in
#                         /usr/bin): .ci/cross.sh lints the other platforms with it.
#   rust-web-src          the standard library's sources for that compiler: Cargo's
#                         -Zbuild-std compiles std for the Windows, macOS and FreeBSD targets
#                         from them, since no prebuilt std for those targets can be had.
#   gcc-mingw-w64-x86-64  the linker (and C compiler) for x86_64-pc-windows-gnu; it also
#                         builds the stand-in bcryptprimitives.dll below.
#   wine64                runs the Windows .exe files on Linux (loader /usr/lib/wine/wine64,
#                         not on PATH), as a Cargo runner for the unit tests too.
#   bcryptprimitives.dll  Wine 8.0 lacks it and Rust's std imports ProcessPrng from it: every
#                         Rust .exe exits at once with code 53 without it. Built here with
#                         mingw from .ci/wine/bcryptprimitives.c and put in the Wine prefix's
#                         system32 ($WINEPREFIX, default ~/.wine).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "error: .ci/cross-setup.sh installs packages with apt-get and must run as root (sudo bash .ci/cross-setup.sh)" >&2
  exit 1
fi

# Another engineer (or CI) may hold the dpkg lock: wait for it rather than fail.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# CROSS_WINDOWS=0: only the Rust toolchain (what .ci/cross.sh needs for macOS and FreeBSD),
# without mingw, Wine and its prefix (about 1.2 GiB and the prefix's creation saved).
windows=${CROSS_WINDOWS:-1}
pkgs=(rustc-web cargo-web rust-web-src rust-web-clippy)
[ "$windows" = 0 ] || pkgs+=(gcc-mingw-w64-x86-64 wine64)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$windows" = 0 ]; then
  echo "rustc:  $(/usr/bin/rustc --version)"
  echo "cargo:  $(/usr/bin/cargo --version)"
  echo "clippy: $(/usr/bin/clippy-driver --version)"
  exit 0
fi

# The stand-in DLL, built under target/ (never committed) and only when its sources changed.
dll_dir=target/cross-wine
dll=$dll_dir/bcryptprimitives.dll
mkdir -p "$dll_dir"
if [ ! -e "$dll" ] || [ .ci/wine/bcryptprimitives.c -nt "$dll" ] || [ .ci/wine/bcryptprimitives.def -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -Wall -Werror -shared -s -o "$dll" \
    .ci/wine/bcryptprimitives.c .ci/wine/bcryptprimitives.def -ladvapi32
fi

# The Wine prefix. WINEDLLOVERRIDES keeps wineboot from offering to download Mono and
# Gecko (no network here, and netlab needs neither); WINEDEBUG=-all keeps its log quiet.
export WINEPREFIX="${WINEPREFIX:-$HOME/.wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64
if [ ! -e "$WINEPREFIX/system.reg" ]; then
  echo "creating the Wine prefix $WINEPREFIX"
  "$wine" wineboot --init >/dev/null 2>&1
  # wineboot returns before the wineserver has written the prefix out; wait for it.
  /usr/lib/wine/wineserver -w
fi
system32=$WINEPREFIX/drive_c/windows/system32
if ! cmp -s "$dll" "$system32/bcryptprimitives.dll"; then
  cp "$dll" "$system32/bcryptprimitives.dll"
  echo "installed $system32/bcryptprimitives.dll"
fi

# A font in the prefix's C:\Windows\Fonts, where resvg's font database looks on Windows
# (Wine's prefix has none of its own there): the PNG plot's labels are tested under Wine
# (plot::tests::png_labels_are_drawn_with_a_system_font). .ci/run installs fonts-dejavu-core.
fonts=$WINEPREFIX/drive_c/windows/Fonts
dejavu=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -e "$dejavu" ] && ! cmp -s "$dejavu" "$fonts/DejaVuSans.ttf"; then
  mkdir -p "$fonts"
  cp "$dejavu" "$fonts/DejaVuSans.ttf"
  echo "installed $fonts/DejaVuSans.ttf"
fi

echo "rustc:  $(/usr/bin/rustc --version)"
echo "cargo:  $(/usr/bin/cargo --version)"
echo "clippy: $(/usr/bin/clippy-driver --version)"
echo "std src: $(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library"
echo "mingw:  $(x86_64-w64-mingw32-gcc --version | head -n1)"
echo "wine:   $("$wine" --version)"
echo "prefix: $WINEPREFIX"
