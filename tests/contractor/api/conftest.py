"""Markers for the shared API tests."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "full_contract: passes only once every app's collections have landed (run by the lead)"
    )
