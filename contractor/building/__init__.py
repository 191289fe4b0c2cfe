"""What gets built: foundations, structures, complexes and dependencies."""
