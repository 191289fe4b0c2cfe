"""/api/v1/design/: every site, PXE and blueprint as one design document, exported and loaded (blueprint/design.py)."""

from django.http import HttpResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.response import Response

from contractor.blueprint.design import (
    FORMATS,
    SECTION_FIELDS,
    DesignError,
    LoadError,
    design_export,
    design_load,
    design_redacted,
    design_text,
)
from contractor.redaction import can_see_secrets, declared_secret_keys

# What a design touches: reading it needs these views; loading it, adding and changing each.
DESIGN_MODELS = (
    ("site", "site"),
    ("blueprint", "foundationblueprint"),
    ("blueprint", "structureblueprint"),
    ("blueprint", "pxe"),
)
TEXT_TYPES = {"toml": "application/toml", "yaml": "application/yaml"}


class CanUseDesign(permissions.BasePermission):
    """Export needs view permission on sites, blueprints and PXEs; a load needs add and change on each."""

    def has_permission(self, request, view):
        verbs = ("view",) if request.method in permissions.SAFE_METHODS else ("add", "change")
        wanted = [f"{app}.{verb}_{model}" for app, model in DESIGN_MODELS for verb in verbs]
        return bool(request.user and request.user.has_perms(wanted))


class DesignCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


class DesignLoadSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="True: the load was checked and rolled back, nothing was saved.")
    summary = serializers.DictField(
        child=DesignCountsSerializer(), help_text="Per section, how many objects were created and updated."
    )


DESIGN_DOCUMENT = {
    "type": "object",
    "description": "Sections (" + ", ".join(SECTION_FIELDS) + "), each a list of objects named by `name`; "
    "scripts are given inline (a client resolves `script_file`).",
    "additionalProperties": {"type": "array", "items": {"type": "object"}},
}


class DesignSchema(AutoSchema):
    """GET /design/ answers one document, not a list of them (the router names the view `list`)."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class DesignViewSet(viewsets.ViewSet):
    """The design: what `manage.py export_blueprints` writes and `load_blueprints` reads, over the API."""

    permission_classes = [CanUseDesign]
    schema = DesignSchema()

    @extend_schema(
        summary="Export the design",
        description="Every site, PXE and blueprint by name, empty fields left out. Secret config values are "
        "redacted for users without `user.view_secrets`; a load of such an export keeps the stored secrets. "
        "`?output=toml` or `yaml` answers the same document as application/toml or application/yaml text.",
        parameters=[
            OpenApiParameter("output", str, enum=["json", *FORMATS], description="json (default), toml or yaml.")
        ],
        # The TOML and YAML answers are the same document as text (application/toml, application/yaml).
        responses={(200, "application/json"): DESIGN_DOCUMENT},
    )
    def list(self, request):
        format = request.query_params.get("output", "json")
        if format not in ("json", *FORMATS):
            raise exceptions.ValidationError({"output": [f"One of json, {', '.join(FORMATS)}."]})
        document = design_export()
        if not can_see_secrets(request.user):
            document = design_redacted(document, declared_secret_keys())
        if format == "json":
            return Response(document)
        try:
            text = design_text(document, format)
        except DesignError as error:
            raise exceptions.ValidationError({"output": [str(error)]}) from error
        return HttpResponse(text, content_type=f"{TEXT_TYPES[format]}; charset=utf-8")

    @extend_schema(
        summary="Load a design",
        description="Create or update, by name, the sites, PXEs and blueprints the document holds, all or "
        "nothing; objects it does not name are left alone. `?dry_run=true` checks everything and saves nothing. "
        "An error is a 400 as section -> object name -> field -> messages.",
        parameters=[OpenApiParameter("dry_run", bool, description="Check and report, then roll everything back.")],
        request={"application/json": DESIGN_DOCUMENT},
        responses={200: DesignLoadSerializer},
    )
    def create(self, request):
        try:
            dry_run = serializers.BooleanField().to_internal_value(request.query_params.get("dry_run", "false"))
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({"dry_run": error.detail}) from error
        try:
            summary = design_load(document=dict(request.data), dry_run=dry_run)
        except LoadError as error:
            raise exceptions.ValidationError(error.detail()) from error
        return Response({"dry_run": dry_run, "summary": summary})
