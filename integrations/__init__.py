"""Integrations: one subpackage each; loaded by name (see hub.plugins)."""
