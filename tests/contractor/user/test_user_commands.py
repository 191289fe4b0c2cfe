"""The user management commands: create_role_user and DRF's drf_create_token."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from contractor.user import roles

pytestmark = pytest.mark.django_db


def test_create_role_user_prints_token_and_sets_role(capsys, monkeypatch):
    """create_role_user makes the user, puts them in the role and prints their working token."""
    monkeypatch.setenv("NEW_PW", "a-long-password")
    call_command("create_role_user", "bob", "--role", roles.BUILDER, "--password-from-env", "NEW_PW")
    user = get_user_model().objects.get(username="bob")
    assert capsys.readouterr().out.strip() == Token.objects.get(user=user).key
    assert list(user.groups.values_list("name", flat=True)) == [roles.BUILDER]
    assert user.check_password("a-long-password")


def test_create_role_user_without_password_is_token_only(capsys):
    """Without --password-from-env the user has no usable password."""
    call_command("create_role_user", "daemon", "--role", roles.SUBCONTRACTOR)
    user = get_user_model().objects.get(username="daemon")
    assert not user.has_usable_password()
    assert user.has_perm("user.act_as_subcontractor")


def test_create_role_user_refuses_unset_variable(monkeypatch):
    """A named password variable that is not set is an error, and no user is made."""
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(CommandError, match="NOPE"):
        call_command("create_role_user", "x", "--role", roles.VIEWER, "--password-from-env", "NOPE")
    assert not get_user_model().objects.filter(username="x").exists()


def test_create_role_user_refuses_existing_username(make_user):
    """An existing username is a clear error naming the username."""
    make_user("taken")
    with pytest.raises(CommandError, match="username"):
        call_command("create_role_user", "taken", "--role", roles.VIEWER)


def test_create_role_user_refuses_unknown_role():
    """--role only accepts the four operator roles."""
    with pytest.raises(CommandError):
        call_command("create_role_user", "x", "--role", "emperor")


def test_drf_create_token_works(make_user, capsys):
    """DRF's drf_create_token command makes a token for an existing user."""
    user = make_user("tokenless")
    call_command("drf_create_token", "tokenless")
    assert Token.objects.get(user=user).key in capsys.readouterr().out
