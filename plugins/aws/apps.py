"""Plugin config for EC2 instance foundations and the AWS accounts (complexes) they run in."""

from contractor.plugins import PluginConfig


class AWSConfig(PluginConfig):
    default = True
    name = "plugins.aws"
    label = "aws"
    verbose_name = "AWS EC2 instances"
    min_version = "0.1.0"
    blueprints = "blueprints.toml"
    subcontractor_handlers = ("aws",)
    api_routes = (("aws-accounts", "plugins.aws.api.views.AWSAccountViewSet"),)
