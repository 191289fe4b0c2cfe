"""Views of the aws plugin's API: /api/v1/aws-accounts/ (addressed by name)."""

from contractor.building.api.views import ComplexViewSet
from plugins.aws.api.serializers import AWSAccountSerializer
from plugins.aws.selectors import aws_account_queryset


class AWSAccountViewSet(ComplexViewSet):
    """AWS accounts; an EC2 foundation names its account. Filtered as every complex (?site=, ?name=)."""

    queryset = aws_account_queryset()
    serializer_class = AWSAccountSerializer
