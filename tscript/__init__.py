"""TScript: the resumable scripting language of Contractor blueprints."""
