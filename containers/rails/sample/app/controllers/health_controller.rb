# frozen_string_literal: true

# GET /health: 200 when the database answers a query, 503 when it does not.
# The load balancer and the container health check both use it.
class HealthController < ApplicationController
  def show
    ActiveRecord::Base.connection.select_value("SELECT 1")
    render json: { status: "ok", database: "ok" }
  rescue StandardError => e
    Rails.logger.warn("health check failed: #{e.class}: #{e.message}")
    render json: { status: "error", database: e.class.name }, status: :service_unavailable
  end
end
