#!/usr/bin/env bash
# fio-tools entrypoint: checks the data directory is usable, then hands over to
# `python3 -m dockyard.fio TOOL ARGS...` (tool, genplots, plotserve, aio, health).
set -Eeuo pipefail

log() { printf 'fio-entrypoint: %s\n' "$*" >&2; }

data_dir="${DATA_DIR:-/tmp/fio-data}"

if [[ $# -lt 1 ]]; then
  log "usage: fio-entrypoint {tool|genplots|plotserve|aio|health} [ARGS...]"
  exit 2
fi

if [[ "$1" != "health" ]]; then
  if [[ ! -d "$data_dir" ]]; then
    log "data directory $data_dir does not exist; mount a volume there (-v DIR:$data_dir)"
    exit 2
  fi
  if [[ ! -w "$data_dir" ]]; then
    log "cannot write to $data_dir as uid $(id -u); make the mounted directory writable" \
      "by that user (e.g. chown $(id -u) DIR) or run with --user"
    exit 2
  fi
fi

exec python3 -m dockyard.fio "$@"
