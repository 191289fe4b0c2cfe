"""The container foundation type: containers on the engine hosts (Docker or Podman) of a complex."""
