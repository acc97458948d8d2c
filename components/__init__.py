"""Pulumi ComponentResources: each wires dockyard/'s pure functions to resources."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
"""The project directory (where Pulumi.yaml is): the one way components/ finds the
playbooks, the container build contexts and the config schema."""
