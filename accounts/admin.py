from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count

from accounts.forms import TierForm
from accounts.models import Tier, User
from accounts.tiers import services as tier_services

admin.site.site_header = "Image API administration"
admin.site.site_title = "Image API admin"
admin.site.index_title = "Users, tiers and images"


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    form = TierForm
    list_display = [
        "name",
        "heights",
        "original_link",
        "expiring_links",
        *Tier.LIMIT_FIELDS,
        "user_count",
    ]
    search_fields = ["name"]
    fieldsets = (
        (None, {"fields": ("name", *Tier.FEATURE_FIELDS)}),
        ("Limits (empty means unlimited)", {"fields": Tier.LIMIT_FIELDS}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("users"))

    def save_model(self, request, obj: Tier, form, change: bool) -> None:
        before = form.initial.get("thumbnail_heights") or () if change else ()
        tier_services.save_tier(obj, heights_before=before)

    @admin.display(description="Thumbnail heights")
    def heights(self, tier: Tier) -> str:
        return ", ".join(str(h) for h in tier.thumbnail_heights) or "—"

    @admin.display(description="Users", ordering="user_count")
    def user_count(self, tier: Tier) -> int:
        return tier.user_count


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "tier", "is_staff", "is_active", "date_joined"]
    list_filter = ["tier", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["tier"]
    list_editable = ["tier"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets[:1],
        ("Tier", {"fields": ("tier",)}),
        *DjangoUserAdmin.fieldsets[1:],
    )

    def save_model(self, request, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "tier" in form.changed_data:
            tier_services.announce_tier_assigned([obj.pk])

    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "tier", "password1", "password2")}),
    )
