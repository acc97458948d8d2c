# frozen_string_literal: true

# Where the app's database is and whether it answers, shared by db-ping (the
# entrypoint's checks) and db-gate (the server's readiness). Installed in the image
# as /usr/local/lib/dockyard/db.rb.
#
# The target comes from DATABASE_URL when set, else from the docker-link style
# APPDB_PORT_3306_TCP_ADDR / APPDB_PORT_3306_TCP_PORT and the app's account
# (APPDB_ENV_MYSQL_USER / APPDB_ENV_MYSQL_PASSWORD; without them root with
# APPDB_ENV_MYSQL_ROOT_PASSWORD), the same variables config/database.yml reads. No message here repeats the password.
require "uri"

module Dockyard
  module DB
    # checkov:skip=CKV_SECRET_4: the form a DATABASE_URL takes, placeholders, no credentials
    URL_FORM = "mysql2://USER:PASSWORD@HOST:PORT/DATABASE"
    # RFC 3986 userinfo: what may stand before the @ without percent-encoding.
    USERINFO = /\A(?:[\w\-.~!$&'()*+,;=:]|%\h\h)*\z/
    # Server error numbers that mean "reachable, but not for us": access denied.
    REFUSED = [1044, 1045, 1698].freeze

    module_function

    # What is wrong with DATABASE_URL, in words that repeat no part of it: in a URL that
    # does not parse, the password can be anywhere, and this message reaches the logs.
    def url_problem(url)
      return "is not valid UTF-8" unless url.valid_encoding?
      return "contains a space or a control character (a space is %20)" if url.match?(/[[:cntrl:][:space:]]/)
      return "has no scheme (mysql2://)" unless url.match?(%r{\A[A-Za-z][A-Za-z0-9+.-]*://})

      userinfo, at, host_part = url.split("://", 2).last.rpartition("@")
      port = host_part[%r{\A[^/?#]*}][/:([^:\]]*)\z/, 1]
      begin
        uri = URI.parse(url)
      rescue URI::Error
        unless at.empty? || userinfo.match?(USERINFO)
          return "has a character in the user name or password that must be percent-encoded " \
                 "(such as @ # / ? [ or a % not followed by two hex digits)"
        end
        return "has a port that is not a number" unless port.nil? || port.match?(/\A\d*\z/)

        return "is not a valid URL"
      end
      return "has no host" if uri.host.to_s.empty?
      return "has a port outside 1-65535" unless uri.port.nil? || (1..65_535).cover?(uri.port)

      nil
    end

    # {host:, port:, username:, password:}; ArgumentError (naming no part of the URL)
    # for a malformed DATABASE_URL.
    def target(env = ENV)
      url = env.fetch("DATABASE_URL", "")
      if url.empty?
        app_user = env.fetch("APPDB_ENV_MYSQL_USER", "")
        return {
          host: env.fetch("APPDB_PORT_3306_TCP_ADDR", "appdb"),
          port: Integer(env.fetch("APPDB_PORT_3306_TCP_PORT", "3306")),
          username: app_user.empty? ? env.fetch("APPDB_USER", "root") : app_user,
          password: env.fetch(
            app_user.empty? ? "APPDB_ENV_MYSQL_ROOT_PASSWORD" : "APPDB_ENV_MYSQL_PASSWORD", ""
          )
        }
      end
      problem = url_problem(url)
      raise ArgumentError, "DATABASE_URL #{problem}; write it like #{URL_FORM}" if problem

      uri = URI.parse(url)
      unescape = ->(s) { s.nil? ? "" : URI::DEFAULT_PARSER.unescape(s) }
      { host: uri.host, port: uri.port || 3306, username: unescape.call(uri.user),
        password: unescape.call(uri.password) }
    end

    def describe(db)
      "#{db[:host]}:#{db[:port]}"
    end

    # A client connected to the server (no database selected), or Mysql2::Error.
    def connect(db, timeout)
      require "mysql2"
      Mysql2::Client.new(
        host: db[:host], port: db[:port], username: db[:username], password: db[:password],
        connect_timeout: timeout, read_timeout: timeout, write_timeout: timeout
      )
    end

    # One attempt: [:ok, nil], [:unreachable, message] or [:refused, message] (reachable
    # but refusing these credentials: waiting will not help).
    def ping(db, timeout)
      connect(db, timeout).close
      [:ok, nil]
    rescue Mysql2::Error => e
      [REFUSED.include?(e.error_number) ? :refused : :unreachable, e.message.lines.first.to_s.strip]
    end
  end
end
