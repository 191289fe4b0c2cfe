"""Users, API tokens and the operator roles."""
