"""Discovered machines: what a machine booted into the discovery image reports, and its match to a foundation."""
