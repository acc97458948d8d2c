#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: fio, iperf3, sshd in
# network namespaces, cloud-init's schema checker, dockerd for swarm, podman for
# the images, Chromium for the report page. Needs root (or passwordless sudo).
#
# Usage: install-system-deps.sh [PACKAGE...]   (default: every package the suite needs)
#
# It never removes or replaces what is installed:
# - a package is skipped when it is installed, or when the commands it would bring
#   already work from another source (Docker CE's dockerd and docker instead of
#   docker.io, containerd.io's runc instead of runc);
# - it names every package apt is about to install, after a simulated run;
# - if apt would remove any package to make room, it changes nothing and exits 2,
#   naming the packages that would go and the ones that ask for it.
set -Eeuo pipefail

# The daemons live in sbin, which a non-login PATH may lack (the tests add it too).
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

log() { printf 'install-system-deps: %s\n' "$*" >&2; }

default_packages=(
  fio iperf3
  openssh-server openssh-client iproute2
  cloud-init
  docker.io runc
  podman debootstrap netavark aardvark-dns
  chromium
)
packages=("$@")
((${#packages[@]})) || packages=("${default_packages[@]}")

# Packages whose job is done when these commands already run, whoever installed them.
declare -A commands_of=(
  [docker.io]="dockerd docker"
  [runc]="runc"
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# "dockerd (/usr/bin/dockerd: Docker version 24.0.7, build 311b9ff)" per command, or fail.
working_commands() {
  local cmd path version found=()
  for cmd in $1; do
    path=$(command -v "$cmd") || return 1
    version=$("$path" --version 2>/dev/null) || return 1
    found+=("$path: ${version%%$'\n'*}")
  done
  printf '%s; ' "${found[@]}"
}

missing=()
for pkg in "${packages[@]}"; do
  if installed "$pkg"; then
    continue
  fi
  if [[ -n "${commands_of[$pkg]:-}" ]] && have=$(working_commands "${commands_of[$pkg]}"); then
    log "not installing $pkg: using what is already here (${have%; })"
    continue
  fi
  missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages (or what they provide) present"
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

# A mirror hiccup retries instead of failing the whole run.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=3 -q)
install=(install -y --no-install-recommends)

# `apt-get -s` prints one line per action: "Inst NAME (NEW ...)", "Inst NAME [OLD] (NEW ...)"
# for an upgrade, "Remv NAME [OLD]".
simulate() {
  "${apt[@]}" -s "${install[@]}" "$@"
}
actions() { awk -v verb="$1" '$1 == verb { print $2 }'; }
upgrades() { awk '$1 == "Inst" && $3 ~ /^\[/ { print $2 }'; }

"${apt[@]}" update
if ! plan=$(simulate "${missing[@]}" 2>&1); then
  log "apt cannot install ${missing[*]} as things are; nothing was changed. apt said:"
  printf '%s\n' "$plan" >&2
  exit 2
fi

mapfile -t removed < <(actions Remv <<<"$plan")
if ((${#removed[@]})); then
  culprits=()
  for pkg in "${missing[@]}"; do
    if [[ -n $(simulate "$pkg" 2>/dev/null | actions Remv) ]]; then
      culprits+=("$pkg")
    fi
  done
  log "refusing: installing ${culprits[*]:-${missing[*]}} would make apt REMOVE: ${removed[*]}"
  log "nothing was changed. Either install what the tests need alongside your packages"
  log "(a working dockerd + docker on PATH, e.g. Docker CE's, is reused instead of docker.io;"
  log "a working runc instead of runc), or remove ${removed[*]} yourself if you mean to,"
  log "then run this again. \`make unit\` and \`make lint\` need no system packages."
  exit 2
fi

mapfile -t new < <(actions Inst <<<"$plan")
mapfile -t upgraded < <(upgrades <<<"$plan")
log "installing ${#new[@]} packages (asked for: ${missing[*]}): ${new[*]}"
((${#upgraded[@]} == 0)) || log "of which upgraded to a newer version: ${upgraded[*]}"
# --no-remove: should the plan change since the simulation, apt stops instead of removing.
"${apt[@]}" "${install[@]}" --no-remove "${missing[@]}"
