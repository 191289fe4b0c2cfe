"""The web console: server-rendered pages over the services and selectors the API uses."""
