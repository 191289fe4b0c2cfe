"""manage.py subcontractor_register: create or update a subcontractor's user, sites and modules; print its token."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contractor.subcontracting.services import subcontractor_register


class Command(BaseCommand):
    help = (
        "Register a subcontractor daemon NAME for its sites and task modules (again: update them) and print its API "
        "token, which goes into the daemon's config as contractor.token."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--site", action="append", default=[], required=True, help="A site it serves (repeat).")
        parser.add_argument("--module", action="append", default=[], help="A task module it runs (repeat).")

    def handle(self, *args, name, site, module, **options):
        try:
            _, token = subcontractor_register(name=name, sites=site, modules=module)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        self.stdout.write(token)
