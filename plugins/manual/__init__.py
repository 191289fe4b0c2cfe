"""The manual foundation type: a machine with no out-of-band control, powered by a person."""
