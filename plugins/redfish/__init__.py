"""The Redfish foundation type: servers whose BMC a subcontractor drives over Redfish (HTTP)."""
