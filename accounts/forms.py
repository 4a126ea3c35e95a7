from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Tier
from accounts.tiers import normalize_heights


class HeightsField(forms.CharField):
    """Thumbnail heights typed as a comma-separated list, e.g. ``200, 400``."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(height) for height in value)
        return value

    def to_python(self, value) -> list[int]:
        text = super().to_python(value)
        parts = [part.strip() for part in text.split(",") if part.strip()]
        heights = []
        for part in parts:
            try:
                heights.append(int(part))
            except ValueError:
                raise ValidationError(f"{part!r} is not a whole number of pixels.") from None
        return normalize_heights(heights)


class TierForm(forms.ModelForm):
    thumbnail_heights = HeightsField(
        required=False,
        help_text="Comma-separated heights in pixels, e.g. 200, 400.",
    )

    class Meta:
        model = Tier
        fields = ["name", *Tier.FEATURE_FIELDS, *Tier.LIMIT_FIELDS]
