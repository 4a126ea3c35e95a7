"""What happens to tiers, for other apps to follow (the images app backfills thumbnails).

Both are sent once the change commits, so receivers see it in the database.
"""

from django.dispatch import Signal

# A tier now includes thumbnail heights it did not before. Arguments: ``tier``, ``heights``.
heights_gained = Signal()
# Users were moved to another tier. Arguments: ``user_ids``.
tier_assigned = Signal()
