from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from accounts.tiers import entitlements
from images.delivery import links
from images.models import Image, Thumbnail


class ThumbnailInline(admin.TabularInline):
    model = Thumbnail
    fields = ["height", "format", "width", "actual_height", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "id", "owner", "format", "dimensions", "file_size", "created_at"]
    list_display_links = ["preview", "id"]
    list_filter = ["format", "owner__tier"]
    list_select_related = ["owner__tier"]
    search_fields = ["owner__username", "key"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "preview",
        "owner",
        "key",
        "stored_as",
        "width",
        "height",
        "format",
        "size",
        "sha256",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [ThumbnailInline]

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the API, which validates them

    @admin.display(description="Storage key")
    def stored_as(self, image: Image) -> str:
        # Not a link: media are only reachable through signed links.
        return image.file.name

    @admin.display(description="Dimensions")
    def dimensions(self, image: Image) -> str:
        return f"{image.width} x {image.height}"

    @admin.display(description="Size", ordering="size")
    def file_size(self, image: Image) -> str:
        return filesizeformat(image.size)

    @admin.display(description="Preview")
    def preview(self, image: Image) -> str:
        heights = entitlements(image.owner).heights
        if not heights:
            return "—"
        return format_html(
            '<img src="{}" style="max-height:80px;max-width:160px" alt="">',
            links.thumbnail_path(image.key, heights[0]),
        )
