#!/usr/bin/env bash
# Install the Debian packages feedrx builds and tests with. Idempotent: when
# everything is present it only runs dpkg-query and returns at once.
set -euo pipefail

PKGS=(
  make gcc clang llvm libclang-rt-14-dev pkg-config bpftool xdp-tools
  libbpf-dev libxdp-dev libelf-dev zlib1g-dev libev-dev libwslay-dev
  libssl-dev openssl libnghttp2-dev node-llhttp linux-libc-dev
  iproute2 ethtool nftables iputils-ping procps kmod psmisc
  libc-ares-dev nats-server libnats-dev
  tinyproxy python3 python3-websockets coreutils
  time gnuplot-nox help2man man-db
)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "feedrx: missing Debian packages: ${missing[*]}" >&2
  echo "feedrx: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "feedrx: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
# tinyproxy's and nats-server's packages start system services; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now tinyproxy nats-server >/dev/null 2>&1 || true; fi
