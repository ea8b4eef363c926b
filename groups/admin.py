from django.contrib import admin

from .models import Group, Librarian, Library, Membership


class LibrarianInline(admin.TabularInline):
    model = Librarian
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LibrarianInline]


class MembershipInline(admin.TabularInline):
    """Read-only: joining, approving and removing go through groups.services (the app and the API),
    so open sockets hear about it at once."""

    model = Membership
    extra = 0
    can_delete = False
    fields = readonly_fields = ["user", "role", "state", "created_at", "joined_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "library", "visibility", "last_seq", "created_at"]
    list_filter = ["library", "visibility"]
    search_fields = ["name", "slug"]
    # Visibility changes go through groups.services.group_update, which re-checks open sockets.
    readonly_fields = ["visibility", "last_seq", "invite_code", "created_at"]
    inlines = [MembershipInline]
    EDITABLE = ["name", "description", "themes"]

    def get_readonly_fields(self, request, obj=None):
        # Sockets and clients know a group by slug and library: those never change after creation.
        return [*self.readonly_fields, "slug", "library"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            # Only the edited columns: a full save would write back a stale `last_seq`.
            fields = [f for f in self.EDITABLE if f in form.changed_data]
            if fields:
                obj.save(update_fields=fields)
        else:
            super().save_model(request, obj, form, change)
