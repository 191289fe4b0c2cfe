"""Kernels, initrds and other boot files, served read-only at /boot/files/ from the CONTRACTOR_BOOT_FILES folder.

Only regular files below that folder are served: no listing, no hidden names, nothing reached through `..` or
a symbolic link leading out of it.
"""

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe


def boot_files_root() -> Path:
    """The folder boot files are served from (CONTRACTOR_BOOT_FILES; relative paths are the project's)."""
    root = Path(settings.CONTRACTOR_BOOT_FILES)
    return root if root.is_absolute() else Path(settings.BASE_DIR) / root


def boot_file_path(relative: str) -> Path | None:
    """The file `relative` names below the root, or None when it is not a safe path to a regular file there."""
    parts = relative.split("/")
    if any(not part or part.startswith(".") or "\\" in part or "\0" in part for part in parts):
        return None
    root = boot_files_root().resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


@require_safe
def boot_file(request, relative: str):
    """A boot file, streamed; 404 for anything else (folders included)."""
    found = boot_file_path(relative)
    if found is None:
        raise Http404("No such boot file.")
    content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return FileResponse(found.open("rb"), content_type=content_type)
