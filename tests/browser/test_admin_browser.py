"""The admin as a person sees it: log in with a real browser, create a site tree, see it listed."""

import shutil

import pytest

from contractor.site.models import Site

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)"),
]


@pytest.mark.django_db(transaction=True)
def test_admin_login_and_create_site_tree(browser_page, live_server, make_user, tmp_path):
    """A superuser logs in, adds a child site under a parent through the form, and sees it in the list."""
    make_user("admin", superuser=True)
    Site.objects.create(name="earth")
    page = browser_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "Contractor" in page.inner_text("#site-name")

    page.goto(f"{live_server.url}/admin/site/site/add/")
    page.fill("#id_name", "europe")
    # The parent is an autocomplete box: open it, type, and pick the suggestion, as a person does.
    page.click(".field-parent .select2-selection")
    page.fill(".select2-search__field", "ear")
    page.click(".select2-results__option >> text=earth")
    page.click("input[name=_save]")
    page.wait_for_selector("#result_list")
    page.screenshot(path=str(tmp_path / "sites.png"), full_page=True)

    assert "europe" in page.inner_text("#result_list")
    assert Site.objects.get(name="europe").parent.name == "earth"


@pytest.mark.django_db(transaction=True)
def test_admin_shows_script_syntax_error(browser_page, live_server, make_user):
    """Saving a blueprint whose script has a syntax error shows the error on the page and saves nothing."""
    make_user("admin", superuser=True)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/blueprint/foundationblueprint/add/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pw-for-tests")
    page.click("input[type=submit]")
    page.fill("#id_name", "broken")
    page.click("#scripts-group .add-row a")
    page.fill("#id_scripts-0-name", "create")
    page.fill("#id_scripts-0-script", "a = ( 1 +\n")
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote, .errorlist")
    assert "line" in page.inner_text("body").lower()
    from contractor.blueprint.models import BluePrint

    assert not BluePrint.objects.filter(name="broken").exists()
