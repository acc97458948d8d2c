#!/usr/bin/env ruby
# frozen_string_literal: true

# One attempt to connect to the app's database (see /usr/local/lib/dockyard/db.rb).
#   db-ping             exit 0: accepts connections; 1: not (yet) reachable;
#                       2: bad settings, or reachable but refuses these credentials
#   db-ping --describe  print host:port of the target (never the password)
require_relative "../lib/dockyard/db"

begin
  db = Dockyard::DB.target
rescue ArgumentError => e
  warn("bad database settings: #{e.message}")
  exit 2
end

if ARGV.first == "--describe"
  puts Dockyard::DB.describe(db)
  exit 0
end

status, message = Dockyard::DB.ping(db, Integer(ENV.fetch("DB_PING_TIMEOUT", "2")))
warn(message) if message
exit({ ok: 0, unreachable: 1, refused: 2 }.fetch(status))
