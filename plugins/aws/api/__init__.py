"""The aws plugin's API: AWS accounts at /api/v1/aws-accounts/."""
