"""dockyard's plain-Python toolkit: importable without Pulumi.

The Pulumi components (../components) wire these pure functions to resources;
the `dockyard` CLI and the container entrypoints call the same code.
"""
