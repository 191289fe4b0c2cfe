"""factory_boy factories for jobs and job logs."""

import factory

from contractor.foreman.models import Job, JobLog
from tests.factories import ManualFoundationFactory


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Job

    foundation = factory.SubFactory(ManualFoundationFactory)
    script_name = "create"
    source = "pass\n"


class JobLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JobLog

    target_kind = "foundation"
    target = factory.Sequence(lambda n: f"node-{n:04d}")
    script_name = "create"
    outcome = "done"
