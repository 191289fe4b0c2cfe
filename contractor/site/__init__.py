"""Sites: the nested groups that hold config everything inside inherits."""
