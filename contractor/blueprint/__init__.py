"""BluePrints, their TScript scripts, and PXE records."""
