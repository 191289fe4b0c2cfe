"""The ec2 foundation type: EC2 instances in an AWS account (a complex), run by the subcontractor's `aws` module."""
