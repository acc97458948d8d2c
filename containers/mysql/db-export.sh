#!/usr/bin/env bash
# db-export: a consistent, gzip-compressed dump of DB_NAME on DB_HOST, the mirror of
# db-import (the same one-off task runs it: `db-import --export` hands over to this).
#
# mariadb-dump --single-transaction reads every InnoDB table in one snapshot without
# locking out the app's writes. The dump goes to DUMP_PUT_URL (the presigned S3 PUT URL
# `dockyard rails export-db` hands the task; S3 needs the length up front, so it is
# written to a private temp file first) or, without it, to stdout (locally:
# podman-compose exec -T appdb db-export > dump.sql.gz). The password comes from
# MYSQL_PWD (the client reads it) or MYSQL_ROOT_PASSWORD_FILE.
set -Eeuo pipefail

log() { printf '%s [db-export] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

[[ $# -eq 0 ]] || die "unknown argument $1 (usage: db-export)"

DB_HOST="${DB_HOST:-127.0.0.1}"
DB_PORT="${DB_PORT:-3306}"
DB_NAME="${DB_NAME:-appdb_production}"
DB_USER="${DB_USER:-root}"
if [[ -z "${MYSQL_PWD:-}" && -n "${MYSQL_ROOT_PASSWORD_FILE:-}" ]]; then
	MYSQL_PWD="$(<"$MYSQL_ROOT_PASSWORD_FILE")"
fi
export MYSQL_PWD="${MYSQL_PWD:?set MYSQL_PWD or MYSQL_ROOT_PASSWORD_FILE}"
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_NAME $DB_NAME is not a plain database name"

# No --databases: the dump holds no CREATE DATABASE or USE, so db-import can load it into
# any database it is pointed at.
dump=(
	mariadb-dump --protocol=tcp --host="$DB_HOST" --port="$DB_PORT" --user="$DB_USER"
	--single-transaction --quick --routines --triggers --hex-blob
	--default-character-set=utf8mb4 "$DB_NAME"
)

if [[ -z "${DUMP_PUT_URL:-}" ]]; then
	log "dumping $DB_NAME on $DB_HOST:$DB_PORT to stdout"
	"${dump[@]}" | gzip -c
	exit 0
fi

umask 077
file="$(mktemp "${TMPDIR:-/tmp}/db-export.XXXXXX")"
trap 'rm -f "$file"' EXIT
log "dumping $DB_NAME on $DB_HOST:$DB_PORT (one consistent snapshot)"
"${dump[@]}" | gzip -c >"$file"
log "uploading the dump ($(stat -c %s "$file") bytes)"
curl --fail --silent --show-error --proto '=https,http' --upload-file "$file" "$DUMP_PUT_URL"
log "done"
