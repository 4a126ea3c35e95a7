"""Signals for bulk updates, which Django sends none for (``QuerySet.update()``).

Caches that must follow users and tiers (the API answer cache) listen to these as well
as to ``post_save``, so an update from the shell or a data migration is seen too.
"""

from django.dispatch import Signal

# Users were changed by a queryset update. Arguments: ``user_ids``.
users_updated = Signal()
# Tiers were changed by a queryset update. Arguments: ``tier_ids``.
tiers_updated = Signal()
