# frozen_string_literal: true

# GET /health: 200 when the database is prepared (the image's boot gate, when the
# server runs under it, has finished) and answers a query; 503 otherwise.
# The load balancer and the container health check both use it.
class HealthController < ApplicationController
  def show
    if defined?(Dockyard::DbGate) && !Dockyard::DbGate.ready?
      return render json: { status: "starting", database: "preparing" }, status: :service_unavailable
    end

    ActiveRecord::Base.connection.select_value("SELECT 1")
    render json: { status: "ok", database: "ok" }
  rescue StandardError => e
    Rails.logger.warn("health check failed: #{e.class}: #{e.message}")
    render json: { status: "error", database: e.class.name }, status: :service_unavailable
  end
end
