from django.db import migrations

# A copy, not an import: migrations must keep meaning what they meant when written.
BUILTIN_TIERS = (
    {"name": "Basic", "thumbnail_heights": [200], "original_link": False, "expiring_links": False},
    {"name": "Premium", "thumbnail_heights": [200, 400], "original_link": True, "expiring_links": False},
    {"name": "Enterprise", "thumbnail_heights": [200, 400], "original_link": True, "expiring_links": True},
)


def create_builtin_tiers(apps, schema_editor):
    Tier = apps.get_model("accounts", "Tier")
    for spec in BUILTIN_TIERS:
        Tier.objects.get_or_create(name=spec["name"], defaults=spec)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_builtin_tiers, migrations.RunPython.noop)]
