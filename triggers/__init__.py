"""Trigger platforms: one module each; loaded by name (see hub.plugins)."""
