#!/usr/bin/env bash
# Entrypoint for the dockyard Rails image. It replaces the seed's init script
# (`sleep 15; rake db:create; rails server`) with:
#   - secrets from the environment or from files: VAR or VAR_FILE for
#     APPDB_ENV_MYSQL_PASSWORD (the app user's), APPDB_ENV_MYSQL_ROOT_PASSWORD
#     (the seed's, used when APPDB_ENV_MYSQL_USER is not set), DATABASE_URL and
#     SECRET_KEY_BASE;
#   - when (and only when) starting the server: a bounded, logged wait until the
#     database accepts connections (DB_WAIT_TIMEOUT seconds, default 60, polled
#     every DB_WAIT_INTERVAL seconds, default 0.25), then the idempotent
#     `db:prepare` (create + migrate; DB_PREPARE=0 skips it). The app boots for
#     db:prepare (db-prepare) during the wait, so only the preparation itself
#     remains once the database is up;
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

# wait_for_db [PID]: poll until the database accepts connections; with PID, also
# stop early when that process (the app booting ahead) has died.
wait_for_db() {
	local helper="${1:-}"
	local timeout="${DB_WAIT_TIMEOUT:-60}" interval="${DB_WAIT_INTERVAL:-0.25}"
	[[ "$timeout" =~ ^[0-9]+$ ]] || die "DB_WAIT_TIMEOUT='$timeout' is not a whole number of seconds"
	is_number "$interval" || die "DB_WAIT_INTERVAL='$interval' is not a number of seconds"

	local where="$db_where"
	info "waiting up to ${timeout}s for the database at $where"

	local start=$SECONDS attempts=0 elapsed=0 next_log=5 err="" rc
	while :; do
		attempts=$((attempts + 1))
		# One attempt never runs past the bound (a DNS lookup can hang longer
		# than the driver's connect timeout, hence `timeout` around it).
		local left=$((timeout - elapsed))
		local per_try=$((left < 2 ? (left < 1 ? 1 : left) : 2))
		if err="$(DB_PING_TIMEOUT=$per_try timeout --kill-after=1 "$per_try" db-ping 2>&1)"; then
			info "the database at $where accepts connections (after ${elapsed}s, $attempts attempts)"
			return 0
		else
			rc=$?
		fi
		if ((rc == 124 || rc == 137)); then
			err="no answer within ${per_try}s"
		elif ((rc == 2)); then
			die "the database at $where refused the connection: $err" \
				"(check APPDB_ENV_MYSQL_USER and APPDB_ENV_MYSQL_PASSWORD[_FILE]," \
				"APPDB_ENV_MYSQL_ROOT_PASSWORD[_FILE] or DATABASE_URL credentials)"
		fi
		if [[ -n "$helper" ]] && ! kill -0 "$helper" 2>/dev/null; then
			die "the app failed to boot while waiting for the database; see the messages above"
		fi
		elapsed=$((SECONDS - start))
		if ((elapsed >= timeout)); then
			die "the database at $where did not accept connections within ${timeout}s" \
				"(last error: ${err:-none}); start it, check DATABASE_URL or" \
				"APPDB_PORT_3306_TCP_ADDR/_PORT, or raise DB_WAIT_TIMEOUT"
		fi
		if ((elapsed >= next_log)); then
			info "still waiting for $where (${elapsed}s of ${timeout}s): $err"
			next_log=$((elapsed + 5))
		fi
		sleep "$interval"
	done
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
	describe_db
	if [[ "${DB_PREPARE:-1}" != 0 ]]; then
		# Boot the app for db:prepare now; it waits for "go" on its stdin.
		exec {stdout_fd}>&1
		coproc PREPARE { exec db-prepare 1>&"$stdout_fd"; }
		# shellcheck disable=SC2153 # PREPARE_PID and PREPARE are set by coproc
		prepare_pid=$PREPARE_PID go_fd=${PREPARE[1]}
		wait_for_db "$prepare_pid"
		info "preparing the database (db:prepare: create if missing, then migrate)"
		{ printf 'go\n' >&"$go_fd"; } 2>/dev/null || true
		wait "$prepare_pid" || die "db:prepare failed; see the messages above"
		exec {stdout_fd}>&-
	else
		wait_for_db
	fi
	info "starting: $*"
fi

exec "$@"
