#!/usr/bin/env bash
# dockyard traffic_qos: apply, check or show the hostQos tc rules kept in DIR.
#   traffic-qos.sh apply DIR   remove this script's qdiscs (and ifb), then run DIR/rules.tc
#                              with tc -batch and record what is live in DIR/state
#   traffic-qos.sh check DIR   exit 0 when the live tc state is what apply recorded for
#                              the current DIR/rules.tc, 1 when it differs (or never ran)
#   traffic-qos.sh remove DIR  remove this script's qdiscs (and ifb): no rule applies
#   traffic-qos.sh show DIR    the rules (DIR/rules.json) and each class's counters (tc -s)
# DIR/settings names the interface (device=), the ifb device (ifb=) and the Docker
# daemon (docker_host=, empty: docker's default). DIR/containers lists the rules whose
# source is a container or service name: apply and check resolve each name to the
# addresses its running containers have on their Docker networks (docker ps, docker
# inspect), and apply classifies their packets into the rule's class with iptables
# CLASSIFY in the mangle table's POSTROUTING (chain DOCKYARD-QOS): there the source is
# still the container's address, before Docker's masquerade rewrites it to the host's.
set -Eeuo pipefail

log() { printf 'traffic-qos: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ $# -eq 2 ]] || die "usage: traffic-qos.sh apply|check|remove|show DIR"
action=$1
dir=$2
[[ -f "$dir/settings" && -f "$dir/rules.tc" ]] || die "$dir has no settings or rules.tc"
device=$(sed -n 's/^device=//p' "$dir/settings")
ifb=$(sed -n 's/^ifb=//p' "$dir/settings")
name='^[A-Za-z0-9_.-]{1,15}$'
[[ "$device" =~ $name && "$ifb" =~ $name ]] || die "$dir/settings: device or ifb is not an interface name"
docker_host=$(sed -n 's/^docker_host=//p' "$dir/settings")
[[ -z "$docker_host" || "$docker_host" =~ ^unix:///[A-Za-z0-9_./-]+$ ]] ||
  die "$dir/settings: docker_host is not unix:///PATH"
PATH=$PATH:/usr/sbin:/sbin
chain=DOCKYARD-QOS
containers=$dir/containers
[[ -f "$containers" ]] || containers=/dev/null

dock() { if [[ -n "$docker_host" ]]; then DOCKER_HOST=$docker_host docker "$@"; else docker "$@"; fi; }

# The IPv4 addresses of NAME: the running container of that name, or the containers of
# the compose or swarm service of that name, on each of their networks; one a line.
addresses() {
  local ids
  ids=$({
    dock ps --no-trunc --format '{{.ID}} {{.Names}}' | awk -v n="$1" '$2 == n { print $1 }'
    dock ps -q --no-trunc --filter "label=com.docker.compose.service=$1"
    dock ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$1"
  } | sort -u)
  [[ -n "$ids" ]] || return 0
  # shellcheck disable=SC2086 # one argument per container id
  dock inspect -f '{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}' $ids |
    grep -E '^[0-9]{1,3}(\.[0-9]{1,3}){3}$' | sort -u || true
}

# Each container rule as the iptables arguments of its CLASSIFY rules, one per address.
resolved() {
  local classid cname dest proto port address match
  dock version --format '{{.Server.Version}}' >/dev/null ||
    die "the Docker daemon${docker_host:+ at $docker_host} does not answer: the container rules need it"
  while read -r classid cname dest proto port; do
    [[ -z "$classid" || "$classid" == \#* ]] && continue
    [[ "$classid" =~ ^1:[0-9]+$ && "$cname" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ &&
      "$dest" =~ ^[0-9./]+$ && "$proto" =~ ^(tcp|udp|any)$ && "$port" =~ ^([0-9]+|-)$ ]] ||
      die "$containers: bad line: $classid $cname $dest $proto $port"
    match="-d $dest"
    [[ "$proto" == any ]] || match+=" -p $proto"
    [[ "$port" == - ]] || match+=" --dport $port"
    for address in $(addresses "$cname"); do
      printf '%s\n' "-s $address/32 $match -j CLASSIFY --set-class $classid"
    done
  done <"$containers"
}

# What is live, without counters, plus the rules it should come from (the container
# rules resolved now: a container that came back with another address differs).
fingerprint() {
  sha256sum <"$dir/rules.tc"
  if [[ -s "$containers" ]] && grep -qv '^#' "$containers"; then
    resolved | sed "s/^/want /"
    iptables -w -t mangle -S "$chain" 2>/dev/null | sed "s/^/live /" || true
    iptables -w -t mangle -S POSTROUTING | grep -F -- "-j $chain" || true
  fi
  local dev
  for dev in "$device" "$ifb"; do
    ip link show dev "$dev" >/dev/null 2>&1 || { echo "$dev absent"; continue; }
    tc qdisc show dev "$dev"
    tc class show dev "$dev"
    tc filter show dev "$dev"
    tc filter show dev "$dev" parent ffff: 2>/dev/null || true
  done | sed -E 's/ direct_packets_stat [0-9]+//'
}

# Remove only what this script makes: an HTB root with handle 1:, the ingress qdisc, the ifb.
teardown() {
  if tc qdisc show dev "$device" root | grep -q '^qdisc htb 1: root'; then
    tc qdisc del dev "$device" root
  fi
  if tc qdisc show dev "$device" ingress | grep -q '^qdisc ingress ffff:'; then
    tc qdisc del dev "$device" ingress
  fi
  if ip link show dev "$ifb" >/dev/null 2>&1; then
    ip link del dev "$ifb"
  fi
  if command -v iptables >/dev/null && iptables -w -t mangle -S "$chain" >/dev/null 2>&1; then
    while iptables -w -t mangle -D POSTROUTING -o "$device" -j "$chain" 2>/dev/null; do :; done
    iptables -w -t mangle -F "$chain"
    iptables -w -t mangle -X "$chain"
  fi
}

# The CLASSIFY rules of the container rules, in their own chain off POSTROUTING.
classify() {
  local rules line
  rules=$(resolved)
  iptables -w -t mangle -N "$chain"
  while read -r line; do
    [[ -n "$line" ]] || continue
    # shellcheck disable=SC2086 # the words resolved() checked
    iptables -w -t mangle -A "$chain" -o "$device" $line
  done <<<"$rules"
  iptables -w -t mangle -A POSTROUTING -o "$device" -j "$chain"
  [[ -n "$rules" ]] || log "no running container matches the container rules yet"
}

case $action in
  apply)
    ip link show dev "$device" >/dev/null 2>&1 || die "no interface $device"
    teardown
    if grep -q "dev $ifb " "$dir/rules.tc"; then
      ip link add "$ifb" type ifb
      ip link set dev "$ifb" up
    fi
    if grep -qv '^\s*\(#.*\)\?$' "$dir/rules.tc"; then
      tc -batch "$dir/rules.tc"
    fi
    if grep -qv '^#' "$containers"; then classify; fi
    fingerprint >"$dir/state.new"
    mv -f -- "$dir/state.new" "$dir/state"
    log "applied $dir/rules.tc on $device"
    ;;
  remove)
    teardown
    rm -f -- "$dir/state"
    log "removed the rules on $device"
    ;;
  check)
    [[ -f "$dir/state" ]] || exit 1
    if [[ "$(fingerprint)" == "$(cat "$dir/state")" ]]; then exit 0; fi
    exit 1
    ;;
  show)
    printf '%s\n' "--- rules" && cat "$dir/rules.json"
    printf '%s\n' "--- egress $device" && tc -s class show dev "$device"
    if ip link show dev "$ifb" >/dev/null 2>&1; then
      printf '%s\n' "--- ingress $ifb" && tc -s class show dev "$ifb"
    fi
    ;;
  *) die "unknown action $action (apply, check, remove or show)" ;;
esac
