"""Starting safely: the secret key entry points refuse, and error pages that show no locals, settings or env."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "planted-bmc-password-7f3a"


def run(code_or_args: list[str], **env) -> subprocess.CompletedProcess:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CONTRACTOR_")}
    clean.update(CONTRACTOR_DATABASE_URL="sqlite:///:memory:", CONTRACTOR_SECRET_KEY_FILE="/nonexistent")
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, *code_or_args], cwd=ROOT, env=clean, capture_output=True, text=True)


@pytest.mark.parametrize(
    "key, problem",
    [(None, "is the well-known development key"), ("short-key", "is shorter than 32 characters")],
)
def test_manage_py_refuses_an_unsafe_secret_key_in_one_line(key, problem):
    """With DEBUG off, manage.py exits 1 with one line saying why and how to set a key; nothing else runs."""
    result = run(["manage.py", "check"], **({"CONTRACTOR_SECRET_KEY": key} if key else {}))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and problem in result.stderr, result.stderr
    assert "set CONTRACTOR_SECRET_KEY" in result.stderr and "CONTRACTOR_DEBUG=1" in result.stderr


def test_a_long_key_or_debug_starts():
    """A long random key starts with DEBUG off; the development key starts only when a developer turns DEBUG on."""
    assert run(["manage.py", "check"], CONTRACTOR_SECRET_KEY="k" * 20 + "-long-and-random-enough").returncode == 0
    assert run(["manage.py", "check"], CONTRACTOR_DEBUG="1").returncode == 0


def test_the_key_may_come_from_a_file(tmp_path):
    """CONTRACTOR_SECRET_KEY_FILE names a file holding the key (scripts/serve's var/secret-key is the default)."""
    key_file = tmp_path / "secret-key"
    key_file.write_text("a-key-kept-in-a-file-that-is-long-enough\n")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    result = run(["-c", code], CONTRACTOR_SECRET_KEY_FILE=str(key_file), DJANGO_SETTINGS_MODULE="contractor.settings")
    assert result.stdout.strip() == "a-key-kept-in-a-file-that-is-long-enough"
    assert run(["manage.py", "check"], CONTRACTOR_SECRET_KEY_FILE=str(key_file)).returncode == 0


def test_the_wsgi_application_refuses_the_development_key():
    """gunicorn's entry point refuses too, before Django is set up, with the same sentence."""
    result = run(["-c", "import contractor.wsgi"])
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "django.core.exceptions.ImproperlyConfigured: Contractor refuses to start: the secret key is the well-known"
        )
    )


def crash(request):
    bmc_password = PLANTED  # a local of the failing frame, as config values are in the rendering code
    raise RuntimeError(f"failed for {len(bmc_password)}")


urlpatterns = [path("crash/", crash)]


@pytest.mark.parametrize("debug", [False, True])
def test_error_pages_show_no_locals_settings_or_environment(client, settings, debug):
    """The 500 page, even a developer's debug page, shows neither frame locals, settings nor the environment."""
    settings.DEBUG = debug
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/crash/", HTTP_X_PLANTED=PLANTED, SECRET_ENV=PLANTED)
    assert response.status_code == 500
    page = response.content.decode()
    assert PLANTED not in page
    assert settings.SECRET_KEY not in page and "DATABASES" not in page
    if debug:  # the traceback itself is still there for the developer
        assert "RuntimeError" in page and "failed for 25" in page and "crash" in page
