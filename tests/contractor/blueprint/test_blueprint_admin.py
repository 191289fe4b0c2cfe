"""The blueprint and PXE admin pages: they load, and show TScript and parent errors on save."""

import pytest
from django.urls import reverse

from contractor.blueprint.models import PXE, BluePrint, StructureBluePrint
from contractor.blueprint.services import blueprint_create
from tests.factories import PXEFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_web(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


@pytest.fixture
def objects():
    blueprint_create(kind="foundation", name="metal", foundation_types=["manual"], scripts={"create": "pass\n"})
    blueprint_create(kind="structure", name="base", foundation_blueprints=["metal"])
    blueprint_create(kind="structure", name="web", parents=["base"], scripts={"create": "pass\n"})
    PXEFactory(name="debian")


@pytest.mark.parametrize(
    "model, name, listed",
    [
        ("foundationblueprint", "metal", [b"metal", b"manual", b"create"]),
        ("structureblueprint", "web", [b"web", b"base", b"create"]),
        ("pxe", "debian", [b"debian"]),
    ],
)
def test_changelist_add_and_change_pages_load(admin_web, objects, model, name, listed):
    """Each model's changelist shows its useful columns, and its add and change pages render."""
    changelist = admin_web.get(reverse(f"admin:blueprint_{model}_changelist"))
    assert changelist.status_code == 200
    for text in listed:
        assert text in changelist.content
    assert admin_web.get(reverse(f"admin:blueprint_{model}_changelist") + "?q=" + name).status_code == 200
    assert admin_web.get(reverse(f"admin:blueprint_{model}_add")).status_code == 200
    pk = (PXE if model == "pxe" else BluePrint).objects.get(name=name).pk
    change = admin_web.get(reverse(f"admin:blueprint_{model}_change", args=[pk]))
    assert change.status_code == 200
    if model != "pxe":
        assert b"font-family: monospace" in change.content


def structure_form(name, parents=(), scripts=()):
    data = {
        "name": name,
        "description": "",
        "config_values": "{}",
        "parent_edges-TOTAL_FORMS": str(len(parents)),
        "parent_edges-INITIAL_FORMS": "0",
        "scripts-TOTAL_FORMS": str(len(scripts)),
        "scripts-INITIAL_FORMS": "0",
    }
    for index, (parent, position) in enumerate(parents):
        data |= {f"parent_edges-{index}-parent": parent, f"parent_edges-{index}-position": position}
    for index, (script_name, body) in enumerate(scripts):
        data |= {f"scripts-{index}-name": script_name, f"scripts-{index}-script": body}
    return data


def test_add_structure_blueprint_with_parent_and_script(admin_web, objects):
    """The add form saves a blueprint with its parent and script."""
    base = BluePrint.objects.get(name="base")
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"),
        structure_form("db", parents=[(base.pk, 0)], scripts=[("create", "pass\n")]),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    db = StructureBluePrint.objects.get(name="db")
    assert db.kind == "structure"
    assert [bp.name for bp in db.parent_list()] == ["base"]
    assert db.get_script("create").script == "pass\n"


def test_tscript_syntax_error_is_a_form_error(admin_web, objects):
    """A script with a syntax error is not saved; the admin shows the line and column on the script."""
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"),
        structure_form("db", scripts=[("create", "pass\nx = 1 +\n")]),
    )
    assert response.status_code == 200
    script_errors = response.context["inline_admin_formsets"][1].formset.errors[0]["script"]
    assert "line 2, column 8" in script_errors[0]
    assert not BluePrint.objects.filter(name="db").exists()


def test_parent_cycle_is_a_form_error(admin_web, objects):
    """Giving a blueprint one of its own descendants as parent is refused on the parents inline."""
    base = BluePrint.objects.get(name="base")
    web = BluePrint.objects.get(name="web")
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_change", args=[base.pk]),
        structure_form("base", parents=[(web.pk, 0)]) | {"foundation_blueprint_list": []},
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "web closes a cycle" in errors[0]
    assert base.parent_list() == []


def test_parent_choices_are_of_the_same_kind(admin_web, objects):
    """The parent inline offers only blueprints of the blueprint's own kind."""
    metal = BluePrint.objects.get(name="metal")
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"), structure_form("db", parents=[(metal.pk, 0)])
    )
    assert response.status_code == 200
    assert "parent" in response.context["inline_admin_formsets"][0].formset.errors[0]


def test_tscript_syntax_error_keeps_its_caret_line(admin_web, objects):
    """The page shows the error preformatted, so the caret stays under the column it points at."""
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"),
        structure_form("db", scripts=[("create", "pass\nif a ==\n  pass\nend\n")]),
    )
    page = response.content.decode()
    assert '<pre class="code-error">line 2, column 8: Unexpected end of line\nif a ==\n       ^</pre>' in page


def test_script_warnings_show_after_saving(admin_web, objects):
    """A script calling an unknown function saves; its change page shows the warning with line and column."""
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"),
        structure_form("db", scripts=[("create", "pass\nfoundation.power_onn()\n")]),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    db = StructureBluePrint.objects.get(name="db")
    page = admin_web.get(reverse("admin:blueprint_structureblueprint_change", args=[db.pk]))
    shown = "line 2, column 1: Module &#x27;foundation&#x27; has no function &#x27;power_onn&#x27;"
    assert shown in page.content.decode()


def test_script_warnings_are_a_message_right_after_the_save(admin_web, objects):
    """Saving a script with mistakes says so on the page the save leads to, one warning message each."""
    response = admin_web.post(
        reverse("admin:blueprint_structureblueprint_add"),
        structure_form("db", scripts=[("create", "pass\nfoundation.power_onn()\n"), ("destroy", "x = iputil.a()\n")]),
        follow=True,
    )
    assert response.status_code == 200 and response.redirect_chain, response.context.get("errors")
    shown = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert shown[:-1] == [
        ("warning", "Script 'create', line 2, column 1: Module 'foundation' has no function 'power_onn' "
         "(did you mean 'power_on'?)"),
        ("warning", "Script 'destroy', line 1, column 5: Unknown module 'iputil' (did you mean 'iputils'?)"),
    ]  # fmt: skip
    assert shown[-1][0] == "success" and "was added successfully" in shown[-1][1]
