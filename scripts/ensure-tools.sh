#!/usr/bin/env bash
# The registry tests need the CNCF distribution registry (Debian package docker-registry) and
# skopeo; infer's tests need gcc, binutils, the arm64 cross binutils and zstd; the fleet HTML
# report test needs Chromium (Debian package chromium, /usr/bin/chromium, driven by playwright-core);
# the mirror's runtime tests need podman and containerd (ctr comes with containerd); the proxy
# tests need squid.
# Install them when missing and running as root; otherwise stop and say what is missing.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
# infer's tests compile x86-64 programs with gcc and link an arm64 program with the cross binutils.
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
command -v aarch64-linux-gnu-as >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The webhook tests make their TLS certificates with openssl.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v podman >/dev/null 2>&1 || missing+=(podman)
{ command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1; } || missing+=(containerd)
[ -x /usr/sbin/squid ] || missing+=(squid)
# copy's progress-bar test runs it on a pseudo-terminal with script(1) (Essential on Debian, but a
# slim image may lack it).
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian package starts a registry service on :5000; the tests start their own.
  # The Debian containerd package starts a system daemon too, and squid a proxy on :3128; the
  # tests start their own.
  if command -v systemctl >/dev/null 2>&1; then
    systemctl stop docker-registry >/dev/null 2>&1 || true
    systemctl stop containerd >/dev/null 2>&1 || true
    systemctl stop squid >/dev/null 2>&1 || true
  fi
else
  echo "ocicompat tests need these Debian packages: ${missing[*]}" >&2
  echo "install them (apt-get install ${missing[*]}) or run the tests as root so they install themselves" >&2
  exit 2
fi
