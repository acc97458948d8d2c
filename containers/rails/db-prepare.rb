#!/usr/bin/env ruby
# frozen_string_literal: true

# Boots the Rails app in the current directory while the entrypoint is still
# waiting for the database, then runs the idempotent `db:prepare` (create if
# missing, then migrate) as soon as the entrypoint says "go" on stdin. EOF on
# stdin (the entrypoint gave up) exits 3 without touching the database.
# Booting ahead hides Rails' boot time behind the database's own start.
require "rake"
require File.expand_path("config/environment", Dir.pwd)

Rails.application.load_tasks

exit 3 unless $stdin.gets&.strip == "go"

begin
  Rake::Task["db:prepare"].invoke
rescue StandardError => e
  warn("db:prepare failed: #{e.class}: #{e.message}")
  exit 1
end
