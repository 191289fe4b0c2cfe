"""load_blueprints and export_blueprints."""
