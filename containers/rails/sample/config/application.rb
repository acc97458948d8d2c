# frozen_string_literal: true

require_relative "boot"

require "rails"
require "active_model/railtie"
require "active_record/railtie"
require "action_controller/railtie"

Bundler.require(*Rails.groups)

module Appname
  # The seed's Rails app, reduced to what shows the two-container split working:
  # a health endpoint that checks the database, and notes written to it.
  class Application < Rails::Application
    config.load_defaults 6.1
    config.api_only = true

    # In the dockyard image: while the database is gone, 503 with Retry-After and a short
    # body (not Rails' empty 500), from the image's own middleware (see its header).
    dockyard_db_unavailable = "/usr/local/lib/dockyard/db_unavailable.rb"
    if File.exist?(dockyard_db_unavailable)
      require dockyard_db_unavailable
      config.middleware.insert_after ActionDispatch::DebugExceptions, Dockyard::DbUnavailable
    end
  end
end
