#!/usr/bin/env bash
# dockyard traffic_qos: apply, check or show the hostQos tc rules kept in DIR.
#   traffic-qos.sh apply DIR   remove this script's qdiscs (and ifb), then run DIR/rules.tc
#                              with tc -batch and record what is live in DIR/state
#   traffic-qos.sh check DIR   exit 0 when the live tc state is what apply recorded for
#                              the current DIR/rules.tc, 1 when it differs (or never ran)
#   traffic-qos.sh remove DIR  remove this script's qdiscs (and ifb): no rule applies
#   traffic-qos.sh show DIR    the rules (DIR/rules.json) and each class's counters (tc -s)
# DIR/settings names the interface (device=) and the ifb device (ifb=).
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
PATH=$PATH:/usr/sbin:/sbin

# What is live, without counters, plus the rules it should come from.
fingerprint() {
  sha256sum <"$dir/rules.tc"
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
