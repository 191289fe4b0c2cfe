"""Admin for users: Django's user admin plus the description and operator roles."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from contractor.user import roles, services
from contractor.user.models import User


class GuardedUserForm:
    """Mixed into the admin's user forms: refuses what `services.user_change_check` refuses, as field errors."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        user = self.instance
        groups = cleaned.get("groups")
        try:
            services.user_change_check(
                actor=self.actor,
                user=user,
                is_superuser=cleaned.get("is_superuser"),
                groups=None if groups is None else [group.name for group in groups],
                permissions=cleaned.get("user_permissions"),
            )
        except services.UserChangeForbidden as error:
            field = "groups" if error.field == "roles" else error.field  # roles are groups here
            self.add_error(field if field in self.fields else None, str(error))
        if "is_active" in cleaned:
            flags = {name: cleaned.get(name, getattr(user, name)) for name in ("is_superuser", "is_active")}
            services.user_superusers_keep(user=user, **flags)  # its ValidationError names the field
        return cleaned


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

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (GuardedUserForm, form), {"actor": request.user})

    def _may_change(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or not obj.is_superuser

    def has_change_permission(self, request, obj=None):
        return self._may_change(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_change(request, obj) and super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # The delete page and the bulk action refuse, saying why, what services.users_delete would refuse.
        deleted, counts, refused, protected = super().get_deleted_objects(objs, request)
        try:
            services.users_delete_check(users=list(objs), actor=request.user)
        except (services.UserChangeForbidden, ValidationError) as error:
            refused = {*refused, " ".join(getattr(error, "messages", [str(error)]))}
        return deleted, counts, refused, protected

    def delete_model(self, request, obj):
        services.users_delete(users=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        services.users_delete(users=queryset, actor=request.user)

    @admin.display(description="roles")
    def role_list(self, user):
        return ", ".join(group.name for group in user.groups.all() if group.name in roles.ROLE_DESCRIPTIONS)
