"""`manage.py fleet counts|impact|resources`: the fleet questions, answered as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from contractor.blueprint.models import BluePrint
from contractor.building import fleet
from contractor.building.models import Complex, Foundation, Structure
from contractor.site.models import Site


def _get(model, label: str, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise CommandError(f"No {label} {next(iter(lookup.values()))!r}.")
    return found


class Command(BaseCommand):
    help = "Answer questions about the fleet: counts, impact of an outage, resources a service uses."

    def add_arguments(self, parser):
        questions = parser.add_subparsers(dest="question", required=True)
        counts = questions.add_parser("counts", help="Per site, per foundation type and state, per blueprint.")
        counts.add_argument("--site", help="Only this site and its sub-sites.")
        impact = questions.add_parser("impact", help="What is affected if a foundation or structure goes down.")
        target = impact.add_mutually_exclusive_group(required=True)
        target.add_argument("--foundation", help="A foundation locator.")
        target.add_argument("--structure", type=int, help="A structure id.")
        resources = questions.add_parser("resources", help="CPU, memory and disk under a blueprint or complex.")
        subject = resources.add_mutually_exclusive_group(required=True)
        subject.add_argument("--blueprint", help="A blueprint name (its heirs count too).")
        subject.add_argument("--complex", help="A complex name.")

    def handle(self, *args, question, **options):
        self.stdout.write(json.dumps(getattr(self, f"_{question}")(**options), indent=2, default=str))

    def _counts(self, site=None, **options):
        return fleet.fleet_counts(site=_get(Site, "site", name=site) if site else None)

    def _impact(self, foundation=None, structure=None, **options):
        if foundation:
            return fleet.impact(_get(Foundation, "foundation", locator=foundation))
        return fleet.impact(_get(Structure, "structure", pk=structure))

    def _resources(self, blueprint=None, complex=None, **options):
        if blueprint:
            return fleet.resource_usage(blueprint=_get(BluePrint, "blueprint", name=blueprint))
        return fleet.resource_usage(complex_=_get(Complex, "complex", name=complex))
