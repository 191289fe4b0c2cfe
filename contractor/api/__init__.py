"""The base every app builds its REST API on: permissions, pagination, parsers, errors, filters, serializers and
the config action. It sits below the apps; the /api/v1/ URL tree that includes them is contractor/rest_urls.py."""
