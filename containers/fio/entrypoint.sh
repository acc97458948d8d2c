#!/usr/bin/env bash
# fio-tools entrypoint. Each image's CMD names its tool, and $FIO_TOOL names it too:
#   docker run IMAGE                   the image's tool (fio-tool: tool, fio-genplots:
#                                      genplots, fio-plotserve: plotserve, fiotools-aio: aio)
#   docker run IMAGE -t NAME -b ...    options for the image's tool (the seed's genplots line)
#   docker run IMAGE TOOL [ARGS...]    python3 -m dockyard.fio TOOL (tool, genplots,
#                                      plotserve, aio, health)
#   docker run IMAGE bash              anything else runs as given
# The tools first check that the data directory is there and writable.
set -Eeuo pipefail

log() { printf 'fio-entrypoint: %s\n' "$*" >&2; }

check_data_dir() {
  local data_dir="${DATA_DIR:-/tmp/fio-data}"
  if [[ ! -d "$data_dir" ]]; then
    log "data directory $data_dir does not exist; mount a volume there (-v DIR:$data_dir)"
    exit 2
  fi
  if [[ ! -w "$data_dir" ]]; then
    log "cannot write to $data_dir as uid $(id -u); make the mounted directory writable" \
      "by that user (e.g. chown $(id -u) DIR) or run with --user"
    exit 2
  fi
}

if [[ $# -eq 0 || "$1" == -* ]]; then
  if [[ -z "${FIO_TOOL:-}" ]]; then
    log "usage: fio-entrypoint {tool|genplots|plotserve|aio|health} [ARGS...], or a command"
    exit 2
  fi
  set -- "$FIO_TOOL" "$@"
fi

case "$1" in
  tool | genplots | plotserve | aio)
    check_data_dir
    set -- python3 -m dockyard.fio "$@"
    ;;
  health)
    set -- python3 -m dockyard.fio "$@"
    ;;
esac

exec "$@"
