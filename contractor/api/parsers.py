"""Request body parsing: every JSON body the API accepts is one object, bounded in size and depth, of clean text."""

import json
import re

from django.conf import settings
from rest_framework import exceptions
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}
MAX_DEPTH = 32  # objects and lists inside one another; a site's config nests a handful of levels
# NUL (PostgreSQL text and jsonb cannot hold it) and lone UTF-16 surrogates (not text: they cannot be encoded).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _text_problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character (\\u0000)" if found.group() == "\x00" else "a lone surrogate (\\ud800-\\udfff)"


def _check_value(value, path: str) -> None:
    """Refuse nesting beyond MAX_DEPTH and text that cannot be stored, naming the top-level field."""
    pending = [(value, path, 1)]
    while pending:
        item, where, depth = pending.pop()
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            raise exceptions.ValidationError({path: [f"Nested more than {MAX_DEPTH} levels deep (at {where})."]})
        if isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, f"{where}.{key}", path)
                pending.append((child, f"{where}.{key}", depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, where, path)


def _check_text(text: str, where: str, field: str) -> None:
    problem = _text_problem(text)
    if problem:
        raise exceptions.ValidationError({field: [f"Text may not contain {problem} (at {where!r})."]})


class JSONObjectParser(JSONParser):
    """JSON whose top level must be an object, so no view ever reads `.get()` off a list, a string or null.

    Nesting beyond MAX_DEPTH is a 400 (the decoder's own recursion limit was a 500), and so is text the database
    cannot store (NUL, lone surrogates), naming the field. Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB unless
    set) bounds the body before it gets here (contractor.api.exceptions answers a 400).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            data = json.loads(body.decode(self._encoding(parser_context)), parse_constant=strict_constant)
        except RecursionError:
            raise ParseError(f"Nested more than {MAX_DEPTH} levels deep.") from None
        except (ValueError, LookupError) as error:  # bad UTF-8, bad JSON, NaN or Infinity (not JSON), no such codec
            raise ParseError(f"JSON parse error - {error}") from None
        if not isinstance(data, dict):
            raise ParseError(f"The request body must be a JSON object, not {_KINDS.get(type(data), 'that')}.")
        for key, value in data.items():
            _check_text(key, key, key)
            _check_value(value, key)
        return data

    def _encoding(self, parser_context) -> str:
        return (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
