"""The rules of higher apps about where a site sits, asked by Site.clean() without importing those apps.

`site_placement_checks` is called with the site as it is about to be saved (parent and zone set) whenever an
existing site is cleaned; each check raises a ValidationError on the field to blame. dns registers the rule that
the subtree's hostnames are free in the zone it lands in, utilities the one that its address blocks overlap none
along its ancestry (see their apps.py).
"""

from contractor.hooks import Hook

site_placement_checks = Hook("site placement check")
