"""Atmosphere Hub: the core. `hub.runtime.Hub` is the running node; see docs/architecture.md."""

__version__ = "0.1.0"
