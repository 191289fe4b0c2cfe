"""Job rule errors say what is wrong: the missing script and its blueprint, a wrong type, in plain sentences."""

import pytest

from contractor.building.choices import FoundationState
from contractor.foreman import services
from contractor.foreman.choices import JobState
from tests.contractor.foreman.factories import JobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(foundation_with):
    return foundation_with(locator="n1", create="pass\n", reboot="pass\n")


def test_a_missing_script_is_named_with_its_blueprint_whatever_the_state(builder_client, planned):
    """`{"script": "nosuch"}` names the script and the blueprint it was looked for in, even on a planned target."""
    response = builder_client.post("/api/v1/foundations/n1/jobs/", {"script": "nosuch"}, format="json")
    assert response.status_code == 400
    message = response.data["script"][0]
    assert f"blueprint {planned.blueprint.name} of foundation n1 has no script 'nosuch'" in message
    assert "(it has create, reboot)" in message


def test_a_script_that_is_not_a_string_is_a_type_error_on_the_field(builder_client, planned):
    """`{"script": 5}` is refused as the wrong type, not looked up as a script named "5"."""
    for wrong, kind in ((5, "a number"), (True, "a boolean"), (["create"], "a list"), ({"a": 1}, "an object")):
        response = builder_client.post("/api/v1/foundations/n1/jobs/", {"script": wrong}, format="json")
        assert response.status_code == 400
        assert response.data["script"] == [f"Give the script's name as a string, not {kind}."]


@pytest.mark.parametrize(
    "state, act, expected",
    [
        (JobState.QUEUED, "reset", "is queued; only a job in error can be reset."),
        (JobState.ERROR, "pause", "is in error; only a waiting, queued or running job can be paused."),
        (JobState.DONE, "cancel", "is done; only a waiting, queued, running or paused job, or one in error, can be"),
        (JobState.RUNNING, "rollback", "is running; only a job in error can be rolled back."),
    ],
)
def test_operator_refusals_are_sentences(builder_client, state, act, expected):
    """A refused action says the job's state and which states allow it, grammatically."""
    job = JobFactory(state=state)
    response = builder_client.post(f"/api/v1/jobs/{job.pk}/{act}/")
    assert response.status_code == 400
    assert response.data["state"][0].startswith(f"Job {job.pk} {expected}")


def test_the_built_state_rule_still_applies_to_an_existing_script(planned):
    """Once the script exists, the state rules apply as before."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        services.job_create(target=planned, script_name="reboot")
    assert "Rule 'reboot only what is built': foundation n1 is planned." in excinfo.value.messages
    planned.state = FoundationState.BUILT
    planned.save()
    assert services.job_create(target=planned, script_name="reboot").state == JobState.QUEUED
