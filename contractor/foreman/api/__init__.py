"""REST API for the foreman app."""
