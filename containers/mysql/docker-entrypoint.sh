#!/usr/bin/env bash
# Entrypoint for the dockyard MariaDB image (modelled on docker-library/mysql's).
#
# On the first start with an empty data directory it initializes the server,
# sets the root password (MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE) for
# local and remote root, optionally creates MYSQL_DATABASE, and then hands over
# to the real server with `exec "$@"`. Later starts reuse the data as it is.
# With MYSQL_USER and MYSQL_PASSWORD[_FILE] (and MYSQL_DATABASE), every start
# makes sure that user exists with that password and all rights on MYSQL_DATABASE
# only: the app's own account, created on data initialized before it existed
# too, its password following the secret. Root's password stays with this
# container.
# A privilege-less 'healthcheck' user, reachable only from inside the container,
# lets the health check ping without a password and without access-denied noise.
set -Eeuo pipefail

log() { printf '%s [db-entrypoint] %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "${*:2}" >&2; }
info() { log Note "$@"; }
warn() { log Warning "$@"; }
die() {
	log ERROR "$@"
	exit 1
}

# file_env VAR [DEFAULT]: VAR from the environment, or from the file VAR_FILE names.
file_env() {
	local var="$1" def="${2:-}"
	local file_var="${var}_FILE"
	if [[ -n "${!var:-}" && -n "${!file_var:-}" ]]; then
		die "both $var and $file_var are set; set only one of them"
	fi
	local val="$def"
	if [[ -n "${!var:-}" ]]; then
		val="${!var}"
	elif [[ -n "${!file_var:-}" ]]; then
		[[ -r "${!file_var}" ]] || die "$file_var names ${!file_var}, which is not a readable file"
		val="$(<"${!file_var}")"
	fi
	export "$var"="$val"
	unset "$file_var"
}

# sql_quote STRING: STRING as a single-quoted SQL literal.
sql_quote() {
	local s="${1//\\/\\\\}"
	s="${s//\'/\\\'}"
	printf "'%s'" "$s"
}

DATADIR="${MYSQL_DATADIR:-/var/lib/mysql}"
INIT_SOCKET="/run/mysqld/init.sock"
INIT_WAIT_SECONDS="${MYSQL_INIT_WAIT_SECONDS:-60}"

init_datadir() {
	local entries
	entries="$(find "$DATADIR" -mindepth 1 -maxdepth 1 ! -name lost+found -print -quit)"
	if [[ -n "$entries" ]]; then
		die "$DATADIR holds files but no 'mysql' system database; refusing to initialize" \
			"over them (empty the volume or point MYSQL_DATADIR at an empty directory)"
	fi
	if [[ -z "$MYSQL_ROOT_PASSWORD" ]]; then
		die "the database is uninitialized and no root password is set;" \
			"set MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE"
	fi

	# Anything that fails from here on leaves an empty directory, not half a database.
	trap 'warn "initialization failed; removing the partial data in $DATADIR"; find "$DATADIR" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +' ERR

	info "initializing a new database in $DATADIR"
	mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --rpm >/dev/null

	start_bootstrap "$@"
	local pw database_sql=""
	pw="$(sql_quote "$MYSQL_ROOT_PASSWORD")"
	if [[ -n "${MYSQL_DATABASE:-}" ]]; then
		database_sql="CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
		info "creating database $MYSQL_DATABASE"
	fi
	# The SQL goes through stdin, so the password never shows in a process list.
	mariadb --socket="$INIT_SOCKET" --user=root --batch <<-SQL
		SET @@SESSION.SQL_LOG_BIN=0;
		DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host NOT IN ('localhost'));
		FLUSH PRIVILEGES;
		ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;
		CREATE USER 'root'@'%' IDENTIFIED BY $pw;
		GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
		DELETE FROM mysql.proxies_priv WHERE Host NOT IN ('localhost');
		CREATE USER 'healthcheck'@'127.0.0.1';
		CREATE USER 'healthcheck'@'::1';
		$database_sql
		$(app_user_sql)
		SHUTDOWN;
	SQL
	wait "$BOOTSTRAP_PID" || die "the bootstrap server did not shut down cleanly"
	trap - ERR
	info "initialization done"
}

# start_bootstrap SERVER...: a server on a private socket, no TCP (BOOTSTRAP_PID).
start_bootstrap() {
	info "starting a bootstrap server (no TCP) to set credentials"
	"$@" --datadir="$DATADIR" --skip-networking --socket="$INIT_SOCKET" &
	BOOTSTRAP_PID=$!
	local waited=0
	until mariadb-admin --socket="$INIT_SOCKET" --user=root --connect-timeout=1 --silent ping >/dev/null 2>&1; do
		kill -0 "$BOOTSTRAP_PID" 2>/dev/null || die "the bootstrap server exited; see the messages above"
		((waited < INIT_WAIT_SECONDS * 10)) || die "the bootstrap server did not start within ${INIT_WAIT_SECONDS}s"
		sleep 0.1
		waited=$((waited + 1))
	done
}

# app_user_sql: SQL giving MYSQL_USER (password MYSQL_PASSWORD) all rights on
# MYSQL_DATABASE and nothing else; nothing without MYSQL_USER. Idempotent.
app_user_sql() {
	[[ -n "${MYSQL_USER:-}" ]] || return 0
	local user pw
	user="$(sql_quote "$MYSQL_USER")"
	pw="$(sql_quote "$MYSQL_PASSWORD")"
	cat <<-SQL
		SET @@SESSION.SQL_LOG_BIN=0;
		CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;
		CREATE USER IF NOT EXISTS $user@'%' IDENTIFIED BY $pw;
		ALTER USER $user@'%' IDENTIFIED BY $pw;
		GRANT ALL ON \`$MYSQL_DATABASE\`.* TO $user@'%';
	SQL
}

# check_app_user: MYSQL_USER needs a password and a database; it may not be root.
check_app_user() {
	file_env MYSQL_PASSWORD
	if [[ -n "${MYSQL_DATABASE:-}" && ! "$MYSQL_DATABASE" =~ ^[A-Za-z0-9_]+$ ]]; then
		die "MYSQL_DATABASE='$MYSQL_DATABASE' may only hold letters, digits and '_'"
	fi
	[[ -n "${MYSQL_USER:-}" ]] || return 0
	[[ "$MYSQL_USER" =~ ^[A-Za-z0-9_]{1,32}$ && "$MYSQL_USER" != root ]] ||
		die "MYSQL_USER='$MYSQL_USER' must be 1-32 letters, digits or '_', and not root"
	[[ -n "$MYSQL_PASSWORD" ]] ||
		die "MYSQL_USER is set but no password; set MYSQL_PASSWORD or MYSQL_PASSWORD_FILE"
	[[ -n "${MYSQL_DATABASE:-}" ]] ||
		die "MYSQL_USER is set but not MYSQL_DATABASE, the one database it may use"
}

# ensure_app_user SERVER...: on existing data, create or update the app's user
# (root's password authenticates; it never reaches a command line).
ensure_app_user() {
	[[ -n "${MYSQL_USER:-}" ]] || return 0
	[[ -n "$MYSQL_ROOT_PASSWORD" ]] ||
		die "MYSQL_USER is set on an existing database, which needs root's password to" \
			"create it; set MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE"
	start_bootstrap "$@"
	info "making sure user $MYSQL_USER has its password and rights on $MYSQL_DATABASE"
	if ! { app_user_sql && echo "SHUTDOWN;"; } |
		MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mariadb --socket="$INIT_SOCKET" --user=root --batch; then
		kill "$BOOTSTRAP_PID" 2>/dev/null || true
		wait "$BOOTSTRAP_PID" || true
		die "could not set up user $MYSQL_USER (is MYSQL_ROOT_PASSWORD root's password?)"
	fi
	wait "$BOOTSTRAP_PID" || die "the bootstrap server did not shut down cleanly"
}

if [[ "${1:-}" == -* ]]; then
	set -- mariadbd "$@"
fi

if [[ "${1:-}" == mariadbd || "${1:-}" == mysqld ]]; then
	file_env MYSQL_ROOT_PASSWORD
	check_app_user
	if [[ -d "$DATADIR/mysql" ]]; then
		info "using the existing database in $DATADIR"
		ensure_app_user "$@"
	else
		init_datadir "$@"
	fi
	unset MYSQL_ROOT_PASSWORD MYSQL_PASSWORD
	set -- "$@" --datadir="$DATADIR"
	info "starting $*"
fi

exec "$@"
