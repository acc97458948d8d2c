"""Shared test harness: real tools, real hosts, real containers."""
