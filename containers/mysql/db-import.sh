#!/usr/bin/env bash
# db-import [--replace]: load a mysqldump (plain or gzip) into DB_NAME on DB_HOST.
#
# The dump comes from DUMP_URL (the presigned S3 URL `dockyard rails import-db` hands the
# one-off task) or, without it, from stdin (locally: podman-compose exec -T appdb db-import).
# A database holding rows (schema_migrations and ar_internal_metadata aside) is refused
# unless --replace, which drops and recreates it first. The password comes from
# MYSQL_PWD (the client reads it) or MYSQL_ROOT_PASSWORD_FILE.
#
# db-import --export hands over to db-export (a dump of DB_NAME: `dockyard rails
# export-db`), so the loader's one task definition, whose entry point this is, runs both.
set -Eeuo pipefail

log() { printf '%s [db-import] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

replace=false
case "${1:-}" in
--export) exec /usr/local/bin/db-export "${@:2}" ;;
--replace) replace=true ;;
"") ;;
*) die "unknown argument $1 (usage: db-import [--replace])" ;;
esac

DB_HOST="${DB_HOST:-127.0.0.1}"
DB_PORT="${DB_PORT:-3306}"
DB_NAME="${DB_NAME:-appdb_production}"
DB_USER="${DB_USER:-root}"
if [[ -z "${MYSQL_PWD:-}" && -n "${MYSQL_ROOT_PASSWORD_FILE:-}" ]]; then
	MYSQL_PWD="$(<"$MYSQL_ROOT_PASSWORD_FILE")"
fi
export MYSQL_PWD="${MYSQL_PWD:?set MYSQL_PWD or MYSQL_ROOT_PASSWORD_FILE}"
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_NAME $DB_NAME is not a plain database name"

client=(mariadb --protocol=tcp --host="$DB_HOST" --port="$DB_PORT" --user="$DB_USER" --connect-timeout=10)

# Rows in any table but Rails' bookkeeping ones.
rows="$("${client[@]}" --batch --skip-column-names --execute="
  SELECT COALESCE(SUM(TABLE_ROWS), 0) FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = '$DB_NAME' AND TABLE_TYPE = 'BASE TABLE'
    AND TABLE_NAME NOT IN ('schema_migrations', 'ar_internal_metadata')")"
tables="$("${client[@]}" --batch --skip-column-names --execute="
  SELECT TABLE_NAME FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = '$DB_NAME' AND TABLE_TYPE = 'BASE TABLE'
    AND TABLE_NAME NOT IN ('schema_migrations', 'ar_internal_metadata')")"
holding=""
for table in $tables; do
	if [[ "$("${client[@]}" --batch --skip-column-names --execute="SELECT EXISTS(SELECT 1 FROM \`$DB_NAME\`.\`$table\`)")" == 1 ]]; then
		holding+=" $table"
	fi
done
if [[ -n "$holding" && "$replace" != true ]]; then
	die "$DB_NAME already holds data (tables:$holding; about $rows rows); run again with --replace to drop and recreate it"
fi
if [[ "$replace" == true ]]; then
	log "dropping and recreating $DB_NAME"
	"${client[@]}" --execute="DROP DATABASE IF EXISTS \`$DB_NAME\`; CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4"
else
	"${client[@]}" --execute="CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4"
fi

source_stream() {
	if [[ -n "${DUMP_URL:-}" ]]; then
		log "downloading the dump"
		curl --fail --silent --show-error --location --proto '=https,http' "$DUMP_URL"
	else
		log "reading the dump from stdin"
		cat
	fi
}

log "loading into $DB_NAME on $DB_HOST:$DB_PORT"
# gzip or plain: zcat -f passes plain text through
source_stream | zcat -f | "${client[@]}" --database="$DB_NAME"
count="$("${client[@]}" --batch --skip-column-names --execute="SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB_NAME'")"
log "done: $DB_NAME has $count tables"
