"""App config for the foreman."""

from django.apps import AppConfig


class ForemanConfig(AppConfig):
    name = "contractor.foreman"
    label = "foreman"
    verbose_name = "Foreman"

    def ready(self):
        """Hook the foreman into the apps below it, which do not import it: the `jobs/` route and the build and
        destroy admin actions of foundations and structures, and the modules blueprint's script check knows."""
        # Imported here, not at the top: these modules import models, which are not loaded when this one is.
        from contractor.blueprint.scripting import modules_described_by
        from contractor.building.admin import target_actions_add
        from contractor.building.api.views import target_action_add
        from contractor.foreman.admin import FOUNDATION_JOB_ACTIONS, STRUCTURE_JOB_ACTIONS
        from contractor.foreman.api.views import jobs
        from contractor.foreman.modules.declared import blueprint_modules

        target_action_add(jobs)
        target_actions_add(foundation=FOUNDATION_JOB_ACTIONS, structure=STRUCTURE_JOB_ACTIONS)
        modules_described_by(blueprint_modules)
