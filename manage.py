#!/usr/bin/env python
"""Django's command-line utility for Contractor."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contractor.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from contractor.audit.context import acting_as, command_source
    from contractor.startup import settings_check

    try:
        settings_check()
    except ImproperlyConfigured as refusal:
        sys.exit(str(refusal))  # one line on stderr, exit status 1
    with acting_as(command_source(sys.argv)):  # the audit log names the command behind every change it makes
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
