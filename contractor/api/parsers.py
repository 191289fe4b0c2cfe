"""Request body parsing: every JSON body the API accepts is one object."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}


class JSONObjectParser(JSONParser):
    """JSON whose top level must be an object, so no view ever reads `.get()` off a list, a string or null."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(f"The request body must be a JSON object, not {_KINDS.get(type(data), 'that')}.")
        return data
