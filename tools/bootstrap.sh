#!/usr/bin/env bash
# Installs every Debian package llmds needs to build, test and benchmark: Bazel, the compiler,
# the libraries (Abseil, GoogleTest, Google Benchmark, xxHash, Snowball) and the peers the
# side-by-side benchmarks link against (hnswlib, FAISS, Xapian, Boost).
#
# Idempotent and silent when everything is present. Runs apt-get as root, or through sudo.
# Exits non-zero with a clear message when it cannot install.
set -euo pipefail

packages=(
  bazel-bootstrap
  g++
  libabsl-dev
  libbenchmark-dev
  libboost-dev
  libfaiss-dev
  libgmock-dev
  libgtest-dev
  libhnswlib-dev
  libstemmer-dev
  libxapian-dev
  libxxhash-dev
  wordnet-base
  zlib1g-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "llmds bootstrap: need root or sudo to install: ${missing[*]}" >&2
  echo "  as root, run: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "llmds bootstrap: installing ${missing[*]}" >&2
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -q &&
       "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } \
     >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "llmds bootstrap: apt-get could not install: ${missing[*]}" >&2
  echo "  (full log: $log) Check the machine's Debian sources, then run this script again." >&2
  exit 1
fi
rm -f "$log"
echo "llmds bootstrap: done" >&2
