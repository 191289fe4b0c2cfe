"""The IPMI foundation type: servers whose BMC a subcontractor drives over IPMI."""
