"""The mesh: hubs at different sites federated as one, without a central server."""
