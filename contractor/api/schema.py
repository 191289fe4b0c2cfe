"""The OpenAPI schema's additions: the error answers every operation can give, and the boot endpoints.

drf-spectacular documents what each view returns on success. `error_responses` (a postprocessing hook,
SPECTACULAR_SETTINGS) adds the errors `contractor.api.exceptions` answers with, where each can happen:
400 for a body or query that does not validate, 401 and 403 where credentials are checked, 404 on a path
naming an object, 409 for a write the data refuses (an object still in use, a conflicting row), 415 for a
body in a media type the operation does not take. The boot
endpoints under /boot/ are plain Django views (iPXE and installers are not API clients), so their paths
are written out here.
"""

ERROR = {
    "type": "object",
    "description": "An error: `detail` says what is wrong.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "What does not validate: each field (or `non_field_errors`, or `detail`) with its messages.",
    "additionalProperties": {},
}
CONFLICT = {
    "type": "object",
    "description": "A write the data refuses, in a sentence naming what is in the way.",
    "properties": {"non_field_errors": {"type": "array", "items": {"type": "string"}}},
    "required": ["non_field_errors"],
}

_ERRORS = {
    "400": ("FieldErrors", "The body or the query does not validate."),
    "401": ("Error", "No valid credentials were given."),
    "403": ("Error", "The credentials do not allow this."),
    "404": ("Error", "Nothing is at this path."),
    "409": ("Conflict", "The data refuses the write (an object still in use, a conflicting row)."),
    "415": ("Error", "The body is not in a media type this operation takes (or cannot be read as one)."),
}
_WRITES = {"post", "put", "patch"}


def _codes(path: str, method: str, operation: dict) -> list[str]:
    codes = []
    if method in _WRITES or any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
        codes.append("400")
    if operation.get("security") != [{}]:
        codes += ["401", "403"]
    if "{" in path:
        codes.append("404")
    if method in _WRITES or method == "delete":
        codes.append("409")
    if "requestBody" in operation:
        codes.append("415")
    return codes


def _response(name: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def error_responses(result: dict, generator, request, public) -> dict:
    """Add the error answers to every operation, their schemas to the components, and the boot endpoints."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Error": ERROR, "FieldErrors": FIELD_ERRORS, "Conflict": CONFLICT, "BootSignal": BOOT_SIGNAL})
    schemas.update({"DiscoveryInstruction": DISCOVERY_INSTRUCTION, "DiscoveryReport": DISCOVERY_REPORT})
    for path, item in result["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code in _codes(path, method, operation):
                operation["responses"].setdefault(code, _response(*_ERRORS[code]))
    result["paths"].update(boot_paths())
    return result


def _boot_operation(summary: str, success: dict, *, post: bool = False) -> dict:
    responses = {"200": success, "404": _response("Error", "Nothing is being built here (or no job listens).")}
    if post:
        responses["409"] = {
            "description": "The job could not take the signal now.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BootSignal"}}},
        }
    return {
        "operationId": "boot_" + summary.split(":")[0],
        "description": summary.split(": ", 1)[1],
        "tags": ["boot"],
        "security": [{}],
        "responses": responses,
    }


def boot_paths() -> dict:
    """The /boot/ endpoints: a machine's own below its job's boot token, the discovery script by MAC, the files."""
    text = {"description": "The rendered text.", "content": {"text/plain": {"schema": {"type": "string"}}}}
    config = {
        "description": "The installer config.",
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
    }
    signal = {
        "description": "The job was signalled.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BootSignal"}}},
    }
    operations = {
        "script/": (
            "get",
            "script: The iPXE boot script of the PXE on the booted machine's provisioning interface.",
            text,
        ),
        "template/": ("get", "template: That PXE's installer template, rendered.", text),
        "config/": ("get", "config: The machine's installer config (no secrets its blueprints do not mark).", config),
        "signal/": (
            "post",
            "signal: The booted machine reports in; the job its boot token names is signalled.",
            signal,
        ),
    }
    token = {
        "name": "boot_token",
        "in": "path",
        "required": True,
        "description": "The boot token of the started job building the machine (in the PXE plan); 404 once it ends.",
        "schema": {"type": "string"},
    }
    paths = {}
    for suffix, (method, summary, success) in operations.items():
        operation = _boot_operation(summary, success, post=method == "post")
        operation["parameters"] = [token]
        if method == "get":  # what cannot be rendered (a template error, a sandbox bound) is told, here and in the job
            why = "It cannot be rendered: the body says why (an iPXE script printing it), as does the job's story."
            refused = _response("Error", why) if suffix == "config/" else {**text, "description": why}
            operation["responses"]["422"] = refused
        paths[f"/boot/{{boot_token}}/{suffix}"] = {method: operation}
    discovery_script = _boot_operation(
        "discovery_script: The discovery image's iPXE script, for a MAC nothing is built on.", text
    )
    discovery_script["parameters"] = [{"name": "mac", "in": "query", "required": True, "schema": {"type": "string"}}]
    paths["/boot/script/"] = {"get": discovery_script}
    files = _boot_operation(
        "files: A boot file (kernel, initrd) below CONTRACTOR_BOOT_FILES.",
        {"description": "The file.", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
    )
    files["parameters"] = [{"name": "relative", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths["/boot/files/{relative}"] = {"get": files}
    paths["/boot/discovery/"] = _discovery_paths()
    return paths


def _discovery_paths() -> dict:
    """GET (poll by ?mac=) and POST (report) of the discovery image's endpoint; both answer an instruction."""
    answer = {
        "description": "What the machine is to do next.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DiscoveryInstruction"}}},
    }
    poll = _boot_operation("discovery_poll: The discovery image polls for what to do (by the MAC it booted).", answer)
    poll["parameters"] = [{"name": "mac", "in": "query", "required": True, "schema": {"type": "string"}}]
    poll["responses"]["404"] = _response("Error", "No machine with that MAC has reported.")
    report = _boot_operation("discovery_report: The discovery image reports the machine's hardware.", answer)
    report["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DiscoveryReport"}}},
    }
    del report["responses"]["404"]
    report["responses"]["400"] = _response("FieldErrors", "A field of the report is wrong; each is named.")
    return {"get": poll, "post": report}


DISCOVERY_INSTRUCTION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "mac": {"type": "string"},
        "state": {"type": "string", "enum": ["new", "matched", "refused", "assigned"]},
        "action": {"type": "string", "enum": ["wait", "poweroff", "reboot"]},
        "message": {"type": "string"},
    },
    "required": ["id", "mac", "state", "action", "message"],
}
DISCOVERY_REPORT = {
    "type": "object",
    "properties": {
        "mac": {"type": "string", "description": "The MAC it booted from."},
        "facts": {"type": "object", "additionalProperties": {}, "description": "See docs/discovery.md."},
        "site": {"type": "string"},
        "subcontractor": {"type": "string"},
    },
    "required": ["mac", "facts"],
}


BOOT_SIGNAL = {
    "type": "object",
    "properties": {"job": {"type": "integer"}, "signalled": {"type": "boolean"}, "detail": {"type": "string"}},
    "required": ["job", "signalled"],
}
