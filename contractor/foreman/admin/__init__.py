"""Admin for the foreman: jobs and job logs here, subcontractors and tasks beside them."""

from contractor.foreman.admin import jobs, tasks  # noqa: F401
