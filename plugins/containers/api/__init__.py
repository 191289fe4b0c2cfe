"""The containers plugin's API: /api/v1/container-complexes/ and the published ports at /api/v1/container-ports/."""
