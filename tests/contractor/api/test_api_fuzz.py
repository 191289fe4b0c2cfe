"""Schemathesis against the live OpenAPI schema: every operation, as an admin and as a subcontractor, gives no 5xx,
no status code the schema does not document for it and no off-schema answer."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from contractor.subcontracting.services import subcontractor_register
from contractor.wsgi import application
from tests.factories import ManualFoundationFactory, SiteFactory, StructureFactory

# Bounded so the whole run stays near two minutes on a loaded two-core machine; derandomized, so a CI failure
# replays the same cases locally.
EXAMPLES = 3


@pytest.fixture
def admin_token(make_user) -> str:
    """A superuser's token. make_user reuses the suite's one password hash: hashing a password for each of the
    186 operations (PBKDF2, a million rounds) took 47 of the run's 75 s."""
    return Token.objects.create(user=make_user("fuzz-admin", superuser=True)).key


@pytest.fixture
def subcontractor_token(some_objects) -> str:
    """A subcontractor of the site the objects are in: its own protocol endpoints answer it, most others refuse."""
    _, token = subcontractor_register(name="fuzz-sc", sites=["fuzz-site"], modules=["ipmi", "iputils"])
    return token


@pytest.fixture
def in_test_transaction(db):
    """Requests run in the test's transaction: Django would close the connection as each WSGI request starts, ends."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def some_objects(db):
    """A site, a foundation and a structure for the generated requests to find now and then."""
    site = SiteFactory(name="fuzz-site")
    StructureFactory(site=site, foundation=ManualFoundationFactory(site=site, locator="fuzz-node"))


# The schema the app serves (what a client reads), fetched from the app itself; it needs no database.
# Generated requests only ("fuzzing"): the coverage phase's exhaustive boundary cases would take many minutes here.
FUZZING_ONLY = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=FUZZING_ONLY)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(case, admin_token, some_objects, in_test_transaction):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_subcontractor_a_server_error_or_breaks_its_schema(
    case, subcontractor_token, in_test_transaction
):
    """The same over every operation with a subcontractor's token: its protocol endpoints take generated bodies,
    the rest refuse it, and none of them fails or answers off its schema."""
    case.call_and_validate(
        headers={"Authorization": f"Token {subcontractor_token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
