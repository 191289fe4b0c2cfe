"""A container's published ports in DNS: the structure on a running container gets its host's publish address
and an SRV record per published port (contractor.dns.published), both gone once the container is destroyed; the
follower (`dns_zones --follow`) learns of them from PostgreSQL's notices."""

import pytest
from django.db import connection

from contractor.dns.state import ZoneState, forward_zone
from contractor.foreman.choices import JobState
from plugins.containers.models import ContainerFoundation
from tests.contractor.dns.conftest import ZoneFactory, checkzone  # noqa: F401 - the fixture
from tests.factories import StructureFactory
from tests.plugins.containers.test_containers_plugin import Daemon, _job, complex_, created, run  # noqa: F401

RECORDS = {"web IN A 127.0.0.1", "_53._udp.web IN SRV 0 0 40001 web", "_8080._tcp.web IN SRV 0 0 40000 web"}


@pytest.fixture
def zoned(complex_):  # noqa: F811 - the plugin tests' fixture
    complex_.site.zone = ZoneFactory.create("lab.example.com")
    complex_.site.save()
    return complex_


def _lines(zone) -> set[str]:
    return set(forward_zone(zone).body.splitlines())


@pytest.mark.django_db
def test_a_running_containers_ports_are_its_structures_address_and_srv_records(zoned, checkzone):  # noqa: F811
    """Placed but not yet created: no records; created: an A record of the host's publish address and an SRV
    record per port, a zone named-checkzone loads, and the port's address in the API; destroyed: all gone."""
    job = _job("foundation.create()\nfoundation.destroy()\n", zoned)
    foundation = ContainerFoundation.objects.get(pk=job.foundation_id)
    StructureFactory(hostname="web", site=zoned.site, foundation=foundation)
    zone = zoned.site.zone
    run()
    daemon = Daemon(zoned.site)
    (task,) = daemon.take()
    assert not RECORDS & _lines(zone), "a container not yet created publishes nothing"
    assert set(foundation.ports.values_list("address", flat=True)) == {"127.0.0.1"}
    daemon.answer(task, created(task))
    run()
    assert RECORDS <= _lines(zone), forward_zone(zone).body
    checkzone(zone.name, forward_zone(zone).text(1))
    (destroy,) = daemon.take()
    daemon.answer(destroy, {"destroyed": True})
    run()
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert not RECORDS & _lines(zone)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the follower's notices are PostgreSQL's")
def test_the_follower_is_told_of_published_ports_and_renders_what_a_full_recompute_does(
    zoned,  # noqa: F811
    second_connection,
):
    """The notices of a container's create and destroy bring an incremental zone state to the same text as a
    recompute from the database, with the records and then without them."""
    from tests.contractor.dns.test_dns_incremental import Notices

    notices = Notices(second_connection)
    state = ZoneState.load()
    job = _job("foundation.create()\nfoundation.destroy()\n", zoned)
    StructureFactory(hostname="web", site=zoned.site, foundation=ContainerFoundation.objects.get(pk=job.foundation_id))
    run()
    daemon = Daemon(zoned.site)
    (task,) = daemon.take()
    daemon.answer(task, created(task))
    run()
    for expect_records in (True, False):
        state.apply(notices.take())
        text = state.texts()["lab.example.com"].body
        assert text == ZoneState.load().texts()["lab.example.com"].body
        assert (RECORDS <= set(text.splitlines())) is expect_records, text
        if expect_records:
            (destroy,) = daemon.take()
            daemon.answer(destroy, {"destroyed": True})
            run()
    notices.conn.close()
