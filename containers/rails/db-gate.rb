# frozen_string_literal: true

# The app server's readiness gate, loaded by config/puma.rb when the image's
# entrypoint starts the server (DOCKYARD_DB_GATE=1). Puma boots the app at once and
# listens while the database is still coming up; this gate, inside that one booted
# process:
#   1. waits until the database accepts connections, for at most DB_WAIT_TIMEOUT
#      seconds (polled every DB_WAIT_INTERVAL), and exits the server with status 1
#      and a clear message when it never does or refuses the credentials;
#   2. runs the idempotent `db:prepare` (create if missing, then migrate; DB_PREPARE=0
#      skips it) under the MySQL lock GET_LOCK('dockyard:db:prepare'), so that of
#      several web tasks starting together one migrates and the others wait;
#   3. then reports ready: until then `Dockyard::DbGate.ready?` is false and the app's
#      /health answers 503.
# Installed in the image as /usr/local/lib/dockyard/db_gate.rb. Single-mode puma only
# (no `workers`): the gate lives in the process that serves.
require_relative "db"

module Dockyard
  module DbGate
    LOCK = "dockyard:db:prepare"

    @ready = false

    class << self
      def ready?
        @ready
      end

      # Start waiting for the database now, from puma's config, while the app loads.
      def start(env = ENV)
        @thread = Thread.new { run(env) }
      end

      private

      def run(env)
        db = DB.target(env)
        @where = DB.describe(db)
        preparing = env.fetch("DB_PREPARE", "1") != "0"
        # Load the rake tasks as soon as the app is loaded, while the database comes up.
        tasks = Thread.new { wait_for_app } if preparing
        # no default here: the task definition sets it from railsDbWaitTimeout
        timeout = env.fetch("DB_WAIT_TIMEOUT") { die("DB_WAIT_TIMEOUT is not set (the task definition sets it from railsDbWaitTimeout)") }
        wait_for(db, Integer(timeout), Float(env.fetch("DB_WAIT_INTERVAL", "0.1")))
        if preparing
          tasks.join
          prepare(db, Integer(env.fetch("DB_PREPARE_LOCK_TIMEOUT", "600")))
        else
          info("DB_PREPARE=0: not preparing the database")
        end
        @ready = true
        info("ready: the database is prepared, /health answers 200")
      rescue StandardError => e
        die("#{e.class}: #{e.message}")
      end

      def wait_for(db, timeout, interval)
        info("waiting up to #{timeout}s for the database at #{@where}")
        start = now
        attempts = 0
        err = nil
        next_log = 5
        # A DNS lookup can hang past the driver's connect timeout: a watchdog keeps the bound.
        watchdog = Thread.new do
          sleep(timeout)
          give_up(timeout, err || "no answer within #{timeout}s")
        end
        loop do
          attempts += 1
          left = timeout - (now - start)
          status, err = DB.ping(db, left.clamp(1, 2).ceil)
          elapsed = now - start
          if status == :ok
            watchdog.kill
            info(format("the database at %s accepts connections (after %.1fs, %d attempts)", @where, elapsed, attempts))
            return
          end
          if status == :refused
            die("the database at #{@where} refused the connection: #{err} " \
                "(check APPDB_ENV_MYSQL_USER and APPDB_ENV_MYSQL_PASSWORD[_FILE], " \
                "APPDB_ENV_MYSQL_ROOT_PASSWORD[_FILE] or DATABASE_URL credentials)")
          end
          give_up(timeout, err) if elapsed >= timeout
          if elapsed >= next_log
            info("still waiting for #{@where} (#{elapsed.to_i}s of #{timeout}s): #{err}")
            next_log = elapsed.to_i + 5
          end
          sleep(interval)
        end
      end

      def give_up(timeout, err)
        die("the database at #{@where} did not accept connections within #{timeout}s " \
            "(last error: #{err}); start it, check DATABASE_URL or " \
            "APPDB_PORT_3306_TCP_ADDR/_PORT, or raise DB_WAIT_TIMEOUT")
      end

      # Puma loads the app in its main thread while this one waits for the database.
      def wait_for_app
        sleep(0.02) until defined?(::Rails.application) && ::Rails.application&.initialized?
        require "rake"
        ::Rails.application.load_tasks
      end

      def prepare(db, lock_timeout)
        client = DB.connect(db, 10)
        unless client.query("SELECT GET_LOCK('#{LOCK}', 0) AS got").first["got"] == 1
          info("another app container is preparing the database; waiting up to #{lock_timeout}s for it")
          got = client.query("SELECT GET_LOCK('#{LOCK}', #{lock_timeout}) AS got").first["got"]
          die("the db:prepare lock was not released within #{lock_timeout}s") unless got == 1
        end
        info("preparing the database (db:prepare: create if missing, then migrate)")
        Rake::Task["db:prepare"].invoke
      ensure
        client&.close # closing the session releases the lock
      end

      def now
        Process.clock_gettime(Process::CLOCK_MONOTONIC)
      end

      def log(level, message)
        $stderr.puts("#{Time.now.utc.strftime('%FT%TZ')} [db-gate] #{level}: #{message}")
      end

      def info(message)
        log("info", message)
      end

      # Stop the whole server: it cannot become ready.
      def die(message)
        log("error", message)
        $stdout.flush
        $stderr.flush
        exit!(1)
      end
    end
  end
end
