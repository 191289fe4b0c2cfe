"""`manage.py ensure_admin`: make sure a superuser exists, with its password kept in a file."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the admin superuser with a random password (written to --password-file) unless it exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password-file", required=True, help="Where the password is kept (mode 0600).")

    def handle(self, *args, username, password_file, **options):
        path = Path(password_file)
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            if not path.exists():
                self.stderr.write(f"User {username} exists and {path} does not; its password is unchanged.")
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="", password=password)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
        self.stdout.write(f"Created superuser {username}; password in {path}: {password}")
