"""`manage.py job <id> pause|resume|reset|rollback|cancel`: operator actions on a job."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contractor.foreman import services
from contractor.foreman.models import Job

ACTIONS = {
    "pause": services.job_pause,
    "resume": services.job_resume,
    "reset": services.job_reset,
    "rollback": services.job_rollback,
    "cancel": services.job_cancel,
}


class Command(BaseCommand):
    help = "Pause, resume, reset, roll back or cancel a job."

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)
        parser.add_argument("action", choices=sorted(ACTIONS))

    def handle(self, *args, job_id, action, **options):
        job = Job.objects.filter(pk=job_id).first()
        if job is None:
            raise CommandError(f"No job {job_id}.")
        try:
            job = ACTIONS[action](job=job)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Job {job.pk}: {job.state} ({job.message})")
