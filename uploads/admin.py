from django.contrib import admin

from uploads.models import IdempotentRequest, Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "size", "error_code", "created_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("id", "owner__username", "filename", "error_code")
    raw_id_fields = ("owner", "image")
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(admin.ModelAdmin):
    list_display = ("key", "owner", "status_code", "created_at")
    search_fields = ("key", "owner__username")
    raw_id_fields = ("owner",)
    readonly_fields = [f.name for f in IdempotentRequest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
