#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: fio, sshd in
# network namespaces, cloud-init's schema checker, dockerd for swarm, podman for
# the images, Chromium for the report page. Safe to run again: it only installs
# what is missing. Needs root (or passwordless sudo).
set -Eeuo pipefail

log() { printf 'install-system-deps: %s\n' "$*" >&2; }

packages=(
  fio
  openssh-server openssh-client iproute2
  cloud-init
  docker.io runc
  podman debootstrap netavark aardvark-dns
  chromium
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    log "need root or sudo to install: ${missing[*]}"
    exit 2
  fi
fi

log "installing: ${missing[*]}"
# A mirror hiccup retries instead of failing the whole run.
retries=(-o Acquire::Retries=3)
"${sudo[@]}" apt-get "${retries[@]}" update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${retries[@]}" install -y -q --no-install-recommends "${missing[@]}"
