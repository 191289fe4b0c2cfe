"""REST API of the subcontractor protocol: the daemon's endpoints, and read-only views of subcontractors and tasks."""
