"""Contractor: builds anything, through one API."""

__version__ = "0.1.0"
