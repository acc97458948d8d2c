# frozen_string_literal: true

threads_count = Integer(ENV.fetch("RAILS_MAX_THREADS", "5"))
threads threads_count, threads_count
port Integer(ENV.fetch("PORT", "3000"))

# Keep-alive fairness. After a request, puma 5.6 keeps reading the same kept-alive
# connection (waiting up to 0.2 s for its next request) for up to max_fast_inline
# requests (default 10) before it hands the connection back to the reactor, even while
# other connections' requests wait for a thread. With 50 kept-alive clients on 5
# threads that serves a few connections in runs of 10 while the rest wait their turn:
# p99 19 s at 0.25 vCPU (benchmarks/README.md#rails-under-load). 1 hands a connection
# back after each request whenever another waits, so requests are served in arrival
# order; with no one waiting a thread still keeps its connection.
max_fast_inline Integer(ENV.fetch("PUMA_MAX_FAST_INLINE", "1"))
# Longer than the load balancer's 60 s idle timeout (AWS's advice for ALB targets): the
# balancer, not puma, closes an idle connection, so it never sends a request on a
# connection puma has just closed (a 502). Puma's default is 20 s.
persistent_timeout Integer(ENV.fetch("PUMA_PERSISTENT_TIMEOUT", "75"))
environment ENV.fetch("RAILS_ENV", "production")

# In the dockyard image the entrypoint sets DOCKYARD_DB_GATE=1 when it starts the
# server: the app boots once, at once, and the gate waits for the database and runs
# db:prepare inside this process; /health answers 503 until it is done.
if ENV["DOCKYARD_DB_GATE"] == "1"
  require "/usr/local/lib/dockyard/db_gate"
  Dockyard::DbGate.start
end
