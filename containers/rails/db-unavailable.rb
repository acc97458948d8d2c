# frozen_string_literal: true

# A Rack middleware for any Rails app on the dockyard image: while the database is gone
# (killed, restarting, unreachable, or every connection taken), a request answers
# 503 Service Unavailable with a Retry-After header and a short JSON body, instead of
# the empty 500 Rails' exception handling gives for a connection error. Nothing else is
# caught: an app's own errors still reach Rails.
#
# Installed in the image as /usr/local/lib/dockyard/db_unavailable.rb; an app opts in
# from config/application.rb (the bundled sample does):
#
#   require "/usr/local/lib/dockyard/db_unavailable"
#   config.middleware.insert_after ActionDispatch::DebugExceptions, Dockyard::DbUnavailable
#
# Inside DebugExceptions and ShowExceptions, so it sees the controller's exception first.
# No web restart is needed afterwards: Active Record verifies a pooled connection at
# each checkout and reconnects, so the first request after the database is back is served.
require "json"

module Dockyard
  class DbUnavailable
    # Seconds a client is told to wait: about what a database container's restart takes.
    RETRY_AFTER = 5
    # Client errors that mean "the server is not there" (CR_* in MySQL's errmsg.h) and
    # the server's "shutting down" / "too many connections".
    GONE = [
      2002, # CR_CONNECTION_ERROR: cannot connect through the socket
      2003, # CR_CONN_HOST_ERROR: cannot connect to the host
      2005, # CR_UNKNOWN_HOST: the name (appdb) does not resolve while it is down
      2006, # CR_SERVER_GONE_ERROR
      2013, # CR_SERVER_LOST: lost the connection during a query
      1040, # ER_CON_COUNT_ERROR: too many connections
      1053, # ER_SERVER_SHUTDOWN
      1927  # ER_CONNECTION_KILLED (MariaDB): the server is shutting down
    ].freeze
    BODY = JSON.generate(
      { status: "error", error: "the database is unavailable; try again shortly",
        retry_after: RETRY_AFTER }
    ).freeze
    LOG_EVERY = 1.0

    def initialize(app, logger: nil)
      @app = app
      @logger = logger
      @mutex = Mutex.new
      @last_log = nil
      @quiet = 0
    end

    def call(env)
      @app.call(env)
    rescue StandardError => e
      raise unless self.class.gone?(e)

      note(e)
      [503, { "Content-Type" => "application/json", "Retry-After" => RETRY_AFTER.to_s,
              "Cache-Control" => "no-store", "Content-Length" => BODY.bytesize.to_s }, [BODY]]
    end

    # Is this exception (or what caused it) the database being out of reach?
    def self.gone?(error)
      seen = 0
      while error && seen < 5
        return true if defined?(::ActiveRecord::ConnectionNotEstablished) &&
                       error.is_a?(::ActiveRecord::ConnectionNotEstablished)
        return true if defined?(::ActiveRecord::ConnectionTimeoutError) &&
                       error.is_a?(::ActiveRecord::ConnectionTimeoutError)
        return true if defined?(::Mysql2::Error) && error.is_a?(::Mysql2::Error) &&
                       GONE.include?(error.error_number)

        error = error.cause
        seen += 1
      end
      false
    end

    private

    # One log line a second at most (a gone database fails every request), with the
    # number of answers it stands for.
    def note(error)
      now = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      line = @mutex.synchronize do
        @quiet += 1
        next nil if @last_log && now - @last_log < LOG_EVERY

        count = @quiet
        @quiet = 0
        @last_log = now
        "database unavailable, answered 503 (#{count} request(s) since the last line): " \
          "#{error.class}: #{error.message.lines.first.to_s.strip[0, 200]}"
      end
      logger&.warn(line) if line
    end

    def logger
      @logger || (defined?(::Rails) && ::Rails.logger)
    end
  end
end
