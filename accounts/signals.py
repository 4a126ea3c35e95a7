"""A new password or a deactivation ends every sign-in of the user, however it was saved.

The stored row is compared with the one being saved, so every path is covered (the
admin, ``create_user --password``, the password views, the shell, ``update_fields``
saves) without reading Django's private state. Saves that touch neither field (the
``last_login`` update of every sign-in) cost nothing.
"""

from django.db.models.signals import pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import end_all_logins

WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=User, dispatch_uid="accounts.end_logins_on_credential_change")
def end_logins_on_credential_change(sender, instance: User, raw: bool = False, **kwargs) -> None:
    update_fields = kwargs.get("update_fields")
    if (
        raw
        or instance.pk is None
        or (update_fields is not None and not WATCHED & set(update_fields))
    ):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:  # a new user saved with a chosen primary key
        return
    password_changed = before["password"] != instance.password
    if password_changed or not instance.is_active:
        end_all_logins(instance)
