#!/usr/bin/env bash
# Entrypoint for the dockyard Rails image. It replaces the seed's init script
# (`sleep 15; rake db:create; rails server`) with:
#   - secrets from the environment or from files: VAR or VAR_FILE for
#     APPDB_ENV_MYSQL_PASSWORD (the app user's), APPDB_ENV_MYSQL_ROOT_PASSWORD
#     (the seed's, used when APPDB_ENV_MYSQL_USER is not set), DATABASE_URL and
#     SECRET_KEY_BASE;
#   - when (and only when) starting the server: checks of the settings and of
#     DATABASE_URL (before anything boots Rails, whose own error for a malformed URL
#     prints it), then DOCKYARD_DB_GATE=1 for the server's readiness gate
#     (/usr/local/lib/dockyard/db_gate.rb, loaded by config/puma.rb): the app boots
#     once, at once, and in that process the gate waits for the database (bounded by
#     DB_WAIT_TIMEOUT seconds, which has no default here: the ECS task definition sets it
#     from railsDbWaitTimeout, compose.yaml sets 120, and the server does not start
#     without it; polled every DB_WAIT_INTERVAL, default 0.1; exit 1 with a clear
#     message when it never answers), runs the idempotent
#     `db:prepare` (create + migrate, under a MySQL lock; DB_PREPARE=0 skips it) and
#     only then lets /health answer 200;
#   - `exec "$@"`, so the server is PID 1 and gets the signals.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${*:2}" >&2; }
info() { log info "$@"; }
die() {
	log error "$@"
	exit 1
}

# file_env VAR: VAR from the environment, or from the file VAR_FILE names.
file_env() {
	local var="$1"
	local file_var="${var}_FILE"
	if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
		die "both $var and $file_var are set; set only one of them"
	fi
	if [[ -n "${!file_var:-}" ]]; then
		[[ -r "${!file_var}" ]] || die "$file_var names ${!file_var}, which is not a readable file"
		export "$var"="$(<"${!file_var}")"
	fi
	unset "$file_var"
}

# is_number VALUE: a non-negative decimal such as 60 or 0.5.
is_number() { [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# starts_server ARGS...: is this the web server (puma or `rails server`)?
starts_server() {
	case "${1:-}" in
	puma | */puma) return 0 ;;
	rails | bin/rails | */rails) [[ "${2:-}" == server || "${2:-}" == s ]] ;;
	*) return 1 ;;
	esac
}

# describe_db: db_where=host:port of the database, from db-ping, whose messages never
# hold the password. It runs before anything boots Rails: Rails' own error for a
# malformed DATABASE_URL prints the whole URL, password included.
describe_db() {
	db_where="$(db-ping --describe 2>&1)" || die "cannot tell where the database is: $db_where (check DATABASE_URL or APPDB_PORT_3306_TCP_ADDR/_PORT)"
}

# check_wait_settings: the gate's bound is set (by the task definition) and it and the
# poll interval are numbers.
check_wait_settings() {
	[[ -n "${DB_WAIT_TIMEOUT:-}" ]] ||
		die "DB_WAIT_TIMEOUT is not set; set it to the seconds to wait for the database" \
			"(the ECS task definition sets it from railsDbWaitTimeout; compose.yaml sets 120)"
	local timeout="$DB_WAIT_TIMEOUT" interval="${DB_WAIT_INTERVAL:-0.1}"
	[[ "$timeout" =~ ^[0-9]+$ ]] || die "DB_WAIT_TIMEOUT='$timeout' is not a whole number of seconds"
	is_number "$interval" || die "DB_WAIT_INTERVAL='$interval' is not a number of seconds"
	[[ "${DB_PREPARE_LOCK_TIMEOUT:-600}" =~ ^[0-9]+$ ]] ||
		die "DB_PREPARE_LOCK_TIMEOUT='${DB_PREPARE_LOCK_TIMEOUT}' is not a whole number of seconds"
}

if [[ "${1:-}" == -* ]]; then
	set -- puma "$@"
fi

file_env APPDB_ENV_MYSQL_PASSWORD
file_env APPDB_ENV_MYSQL_ROOT_PASSWORD
file_env DATABASE_URL
file_env SECRET_KEY_BASE

if starts_server "$@"; then
	if [[ "${RAILS_ENV:-production}" == production && -z "${SECRET_KEY_BASE:-}" ]]; then
		die "SECRET_KEY_BASE is not set; set SECRET_KEY_BASE or SECRET_KEY_BASE_FILE" \
			"(for example from \`openssl rand -hex 64\`)"
	fi
	check_wait_settings
	describe_db
	# The server boots once, now; its gate (db_gate.rb, loaded by config/puma.rb) waits
	# for the database at $db_where and prepares it in that process.
	export DOCKYARD_DB_GATE=1
	info "starting: $* (the database is at $db_where)"
fi

exec "$@"
