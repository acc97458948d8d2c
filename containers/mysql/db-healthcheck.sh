#!/usr/bin/env bash
# Exit 0 when the server accepts TCP connections on its port. mariadb-admin ping
# succeeds even on "access denied"; the entrypoint's privilege-less 'healthcheck'
# user (reachable only from inside the container) keeps the log free of those.
set -Eeuo pipefail
exec mariadb-admin --protocol=tcp --host=127.0.0.1 --port="${MYSQL_TCP_PORT:-3306}" \
  --user=healthcheck --connect-timeout=2 --silent ping
