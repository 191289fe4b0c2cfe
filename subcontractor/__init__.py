"""SubContractor: the daemon that does Contractor's hands-on work on isolated networks (no Django)."""

__version__ = "0.1.0"
