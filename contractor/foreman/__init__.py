"""The Foreman: jobs that run blueprint scripts against foundations, structures and dependencies."""
