"""A new password or a deactivation ends every sign-in of the user, however it was saved."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.services import end_all_logins


@receiver(post_save, sender=User, dispatch_uid="accounts.end_logins_on_credential_change")
def end_logins_on_credential_change(sender, instance: User, created: bool, **kwargs) -> None:
    if created:
        return
    # set_password() keeps the raw password in ``_password`` until the save completes:
    # the admin, `create_user --password` and the password-change views all go through it.
    password_changed = getattr(instance, "_password", None) is not None
    if password_changed or not instance.is_active:
        end_all_logins(instance)
