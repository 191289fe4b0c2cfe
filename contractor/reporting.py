"""What Django's error reports (the debug page, mailed and logged reports) may show: no locals, settings or env."""

from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Leaves out every frame's local variables, the settings and the request's environment, DEBUG or not.

    Config values (passwords, BMC credentials) pass through locals of the rendering and foreman code, and a
    WSGI environment under runserver holds the whole process environment (CONTRACTOR_DATABASE_URL with its
    password); name-based cleansing cannot know them all, so none of it is shown. The traceback's file, line
    and code are.
    """

    def get_traceback_frame_variables(self, request, tb_frame):
        return []

    def get_safe_settings(self):
        return {}

    def get_safe_request_meta(self, request):
        return {}

    def get_post_parameters(self, request):
        return {}
