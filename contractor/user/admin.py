"""Admin for users: Django's user admin plus the description and operator roles."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from contractor.user import roles
from contractor.user.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users with their operator roles; roles are the groups of the same names."""

    list_display = ["username", "email", "first_name", "last_name", "role_list", "is_active", "is_superuser"]
    list_filter = ["is_active", "is_superuser", "groups"]
    search_fields = ["username", "first_name", "last_name", "email", "description"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email", "description"]}),
        ("Roles and permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_list(self, user):
        return ", ".join(group.name for group in user.groups.all() if group.name in roles.ROLE_DESCRIPTIONS)
