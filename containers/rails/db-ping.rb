#!/usr/bin/env ruby
# frozen_string_literal: true

# One attempt to connect to the app's database, for the entrypoint's bounded wait.
#   db-ping             exit 0: accepts connections; 1: not (yet) reachable;
#                       2: reachable but refuses these credentials (waiting won't help)
#   db-ping --describe  print host:port of the target (never the password)
# The target comes from DATABASE_URL when set, else from the docker-link style
# APPDB_PORT_3306_TCP_ADDR / APPDB_PORT_3306_TCP_PORT and the app's account
# (APPDB_ENV_MYSQL_USER / APPDB_ENV_MYSQL_PASSWORD; without them root with
# APPDB_ENV_MYSQL_ROOT_PASSWORD), the same variables config/database.yml reads.
require "uri"

# checkov:skip=CKV_SECRET_4: the form a DATABASE_URL takes, placeholders, no credentials
URL_FORM = "mysql2://USER:PASSWORD@HOST:PORT/DATABASE"
# RFC 3986 userinfo: what may stand before the @ without percent-encoding.
USERINFO = /\A(?:[\w\-.~!$&'()*+,;=:]|%\h\h)*\z/

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

def target
  url = ENV.fetch("DATABASE_URL", "")
  if url.empty?
    app_user = ENV.fetch("APPDB_ENV_MYSQL_USER", "")
    return {
      host: ENV.fetch("APPDB_PORT_3306_TCP_ADDR", "appdb"),
      port: Integer(ENV.fetch("APPDB_PORT_3306_TCP_PORT", "3306")),
      username: app_user.empty? ? ENV.fetch("APPDB_USER", "root") : app_user,
      password: ENV.fetch(
        app_user.empty? ? "APPDB_ENV_MYSQL_ROOT_PASSWORD" : "APPDB_ENV_MYSQL_PASSWORD", ""
      )
    }
  end
  problem = url_problem(url)
  raise ArgumentError, "DATABASE_URL #{problem}; write it like #{URL_FORM}" if problem

  uri = URI.parse(url)
  unescape = ->(s) { s.nil? ? "" : URI::DEFAULT_PARSER.unescape(s) }
  {
    host: uri.host,
    port: uri.port || 3306,
    username: unescape.call(uri.user),
    password: unescape.call(uri.password)
  }
end

begin
  db = target
rescue ArgumentError => e
  warn("bad database settings: #{e.message}")
  exit 2
end

if ARGV.first == "--describe"
  puts "#{db[:host]}:#{db[:port]}"
  exit 0
end

require "mysql2"

# Server error numbers that mean "reachable, but not for us": access denied.
FATAL = [1044, 1045, 1698].freeze

begin
  timeout = Integer(ENV.fetch("DB_PING_TIMEOUT", "2"))
  Mysql2::Client.new(
    host: db[:host], port: db[:port], username: db[:username], password: db[:password],
    connect_timeout: timeout, read_timeout: timeout, write_timeout: timeout
  ).close
  exit 0
rescue Mysql2::Error => e
  warn(e.message.lines.first.to_s.strip)
  exit(FATAL.include?(e.error_number) ? 2 : 1)
end
