"""`manage.py create_role_user`: create a user in one operator role and print their API token."""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from contractor.user import roles
from contractor.user.services import user_create, user_token


class Command(BaseCommand):
    help = "Create a user holding one operator role and print their API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=list(roles.ROLE_DESCRIPTIONS))
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Name of an environment variable holding the password; without it the user has no password "
            "and signs in with the token only.",
        )

    def handle(self, *args, username, role, password_from_env, **options):
        password = None
        if password_from_env:
            password = os.environ.get(password_from_env)
            if not password:
                raise CommandError(f"Environment variable {password_from_env} is not set or empty.")
        try:
            user = user_create(username=username, password=password, roles=[role])
        except ValidationError as error:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in _messages(error))) from error
        self.stdout.write(user_token(user=user).key)
        self.stderr.write(f"Created {role} {username}; the line above is their API token.")


def _messages(error: ValidationError):
    return error.message_dict.items() if hasattr(error, "error_dict") else [("error", error.messages)]
