"""REST API of the boot app: the PXE plan, one of the subcontractor protocol's endpoints."""
