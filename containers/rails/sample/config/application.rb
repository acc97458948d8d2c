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
  end
end
