"""Road networks: OpenStreetMap loading, the offline proxy, and routing on arrays."""
