from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from masthead.accounts.actions import account_delete
from masthead.accounts.models import User


@admin.register(User)
class AccountAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "date_joined"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    # Deleting here closes billing and ends sessions exactly as the reader's own deletion does.
    def delete_model(self, request, obj):
        account_delete(reader=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for reader in queryset:
            account_delete(reader=reader, actor=request.user)
