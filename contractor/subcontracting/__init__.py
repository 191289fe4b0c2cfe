"""The subcontractor protocol: registered subcontractor daemons, the tasks the foreman hands them (leased on poll,
answered with a result or an error), and the watch on their liveness."""
