#!/usr/bin/env ruby
# frozen_string_literal: true

# Container health check: exit 0 when the app's /health answers 200.
require "net/http"

port = Integer(ENV.fetch("PORT", "3000"))
path = ENV.fetch("HEALTH_PATH", "/health")
begin
  response = Net::HTTP.start("127.0.0.1", port, open_timeout: 2, read_timeout: 3) do |http|
    http.get(path)
  end
  exit(response.code == "200" ? 0 : 1)
rescue StandardError => e
  warn("app-healthcheck: #{e.class}: #{e.message}")
  exit 1
end
