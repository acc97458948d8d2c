# frozen_string_literal: true

class Note < ApplicationRecord
  validates :body, presence: true, length: { maximum: 255 }

  def as_json(*)
    { id: id, body: body, created_at: created_at&.utc&.iso8601 }
  end
end
