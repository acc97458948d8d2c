"""Pulumi ComponentResources: each wires dockyard/'s pure functions to resources."""
