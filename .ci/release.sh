#!/usr/bin/env bash
# The release build of netlab per platform, packaged as users expect (issue 18). A person
# runs it to get an archive to hand out; .ci/win.sh runs it for Windows on every CI run,
# and tests/it/windows/ run the netlab.exe it builds under Wine.
#
#   bash .ci/release.sh            this host's Linux and Windows
#   bash .ci/release.sh TRIPLE...  only these: x86_64-unknown-linux-gnu, x86_64-pc-windows-gnu
#
# Into dist/ (each archive holds one folder named like it, so unpacking never scatters
# files):
#   netlab-x86_64-pc-windows-gnu.zip       netlab.exe, completions/_netlab.ps1, README.md
#   netlab-x86_64-unknown-linux-gnu.tar.gz netlab, completions/{netlab.bash,_netlab,netlab.fish},
#                                          man/*.1, README.md
# The repository has no licence file (Cargo.toml says "MIT OR Apache-2.0"): when one is
# added as LICENSE* it is packed too.
#
# The binary is `cargo build --release` (Cargo.toml's [profile.release]: what users get);
# Windows builds with .ci/win-env.sh's toolchain, after `.ci/cross-setup.sh` (as root, once).
# The zip is made by Info-ZIP's `zip` (Debian's package, installed here if missing, with
# `unzip` to check it): Python's zipfile would do too, but a clean Debian CI machine has
# no python3, and `unzip -t` proves the archive reads back. Entries are sorted and dated
# from the last commit (SOURCE_DATE_EPOCH overrides), so the same build packs the same
# bytes. It prints the wall-clock seconds of each build. Exit 2: an unknown triple or a
# missing tool.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
  echo "release.sh: $*" >&2
  exit 2
}

linux=x86_64-unknown-linux-gnu
windows=x86_64-pc-windows-gnu
triples=("$@")
[ ${#triples[@]} -gt 0 ] || triples=("$linux" "$windows")
for t in "${triples[@]}"; do
  case $t in
    "$linux" | "$windows") ;;
    *) die "no release recipe for '$t' (known: $linux $windows)" ;;
  esac
done

need=()
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "${need[*]} missing: run \`sudo apt-get install ${need[*]}\`"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
mkdir -p dist

# Copies FILE... into the staging folder DIR (under SUB), dated $epoch.
stage() {
  local dir=$1 sub=$2
  shift 2
  mkdir -p "$dir/$sub"
  cp "$@" "$dir/$sub/"
}

# A fresh staging folder target/dist/NAME holding README.md and any licence file.
begin() {
  local dir=target/dist/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  stage "$dir" . README.md
  local licence
  for licence in LICENSE*; do
    [ -e "$licence" ] && stage "$dir" . "$licence"
  done
  echo "$dir"
}

# The sorted list of what is under target/dist/NAME, each path starting with NAME/.
entries() {
  (cd target/dist && find "$1" -exec touch -h -d "@$epoch" {} + && find "$1" | LC_ALL=C sort)
}

build() {
  local name=$1 began=$SECONDS
  shift
  nice -n 19 "$@"
  echo "release: build $name $((SECONDS - began)) s"
}

for t in "${triples[@]}"; do
  name=netlab-$t
  if [ "$t" = "$windows" ]; then
    command -v x86_64-w64-mingw32-gcc >/dev/null && [ -x /usr/bin/cargo ] ||
      die "the Windows toolchain is missing: run \`sudo bash .ci/cross-setup.sh\` once"
    (
      # shellcheck source=win-env.sh
      . .ci/win-env.sh
      build "$t" cargo build "${win_cargo[@]}" --release --bin netlab
    )
    dir=$(begin "$name")
    stage "$dir" . "target/cross-$t/$t/release/netlab.exe"
    stage "$dir" completions completions/_netlab.ps1
    rm -f "dist/$name.zip"
    entries "$name" | (cd target/dist && TZ=UTC zip -X -q -@ "../../dist/$name.zip")
    unzip -tq "dist/$name.zip" >/dev/null
    out=dist/$name.zip
  else
    build "$t" cargo build --locked --release --bin netlab
    dir=$(begin "$name")
    stage "$dir" . target/release/netlab
    stage "$dir" completions completions/netlab.bash completions/_netlab completions/netlab.fish
    stage "$dir" man man/*.1
    entries "$name" >"target/dist/$name.list"
    tar -C target/dist --no-recursion --owner=0 --group=0 --numeric-owner \
      -T "target/dist/$name.list" -cf - | gzip -n -9 >"dist/$name.tar.gz"
    out=dist/$name.tar.gz
  fi
  echo "release: $out (netlab $version, $(du -k "$out" | cut -f1) KiB)"
done
