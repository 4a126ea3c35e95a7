from django.db import migrations

GIB = 1024**3

# A copy, not an import: migrations must keep meaning what they meant when written.
LIMITS = {
    "Basic": {"max_images": 1000, "max_bytes": 2 * GIB, "uploads_per_hour": 100, "max_megapixels": 25},
    "Premium": {"max_images": 10_000, "max_bytes": 20 * GIB, "uploads_per_hour": 500},
    "Enterprise": {"uploads_per_hour": 2000},
}


def set_builtin_limits(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    for name, limits in LIMITS.items():
        Tier.objects.filter(name=name).update(**limits)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_tier_limits")]

    operations = [migrations.RunPython(set_builtin_limits, migrations.RunPython.noop)]
