# frozen_string_literal: true

threads_count = Integer(ENV.fetch("RAILS_MAX_THREADS", "5"))
threads threads_count, threads_count
port Integer(ENV.fetch("PORT", "3000"))
environment ENV.fetch("RAILS_ENV", "production")

# In the dockyard image the entrypoint sets DOCKYARD_DB_GATE=1 when it starts the
# server: the app boots once, at once, and the gate waits for the database and runs
# db:prepare inside this process; /health answers 503 until it is done.
if ENV["DOCKYARD_DB_GATE"] == "1"
  require "/usr/local/lib/dockyard/db_gate"
  Dockyard::DbGate.start
end
