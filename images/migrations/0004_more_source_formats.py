# Uploads may also be WebP, AVIF, HEIC/HEIF or GIF; each image records the format its
# thumbnails are made in (images uploaded so far: their own, JPEG or PNG).

from django.db import migrations, models


def thumbnails_in_the_source_format(apps, schema_editor):
    Image = apps.get_model("images", "Image")
    Image.objects.update(thumbnail_format=models.F("format"))


class Migration(migrations.Migration):

    dependencies = [
        ('images', '0003_image_placeholder'),
    ]

    operations = [
        migrations.AlterField(
            model_name='image',
            name='format',
            field=models.CharField(choices=[('JPEG', 'JPEG'), ('PNG', 'PNG'), ('WEBP', 'WebP'), ('AVIF', 'AVIF'), ('HEIF', 'HEIC/HEIF'), ('GIF', 'GIF')], max_length=8),
        ),
        migrations.AddField(
            model_name='image',
            name='thumbnail_format',
            field=models.CharField(choices=[('JPEG', 'JPEG'), ('PNG', 'PNG'), ('WEBP', 'WebP'), ('AVIF', 'AVIF')], default='JPEG', max_length=8),
            preserve_default=False,
        ),
        migrations.RunPython(thumbnails_in_the_source_format, migrations.RunPython.noop),
    ]
