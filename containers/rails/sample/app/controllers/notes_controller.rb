# frozen_string_literal: true

# Notes written through the app and read back: shows the data outliving the
# database container.
class NotesController < ApplicationController
  def index
    render json: Note.order(:id).last(100).map(&:as_json)
  end

  def show
    render json: Note.find(params[:id]).as_json
  rescue ActiveRecord::RecordNotFound
    head :not_found
  end

  def create
    note = Note.create!(body: params.require(:body))
    render json: note.as_json, status: :created
  rescue ActionController::ParameterMissing
    render json: { error: "send a 'body' parameter" }, status: :unprocessable_entity
  end
end
