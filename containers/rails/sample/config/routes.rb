# frozen_string_literal: true

Rails.application.routes.draw do
  get "/health", to: "health#show"
  resources :notes, only: %i[index show create]
  root to: "notes#index"
end
