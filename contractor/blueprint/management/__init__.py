"""Management commands of the blueprint app."""
