"""Login with lockout, the password rule, and API token hashing."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import User

TOKEN_PREFIX = "cj_"


class AccountLocked(Exception):
    def __init__(self, until: dt.datetime):
        super().__init__(str(until))
        self.until = until

    @property
    def until_display(self) -> str:
        """The end of the lock in the platform's time zone (Asia/Shanghai), not the server's."""
        return timezone.localtime(self.until).strftime("%Y-%m-%d %H:%M")

    @property
    def message(self) -> str:
        return _("登录失败次数过多，账户已锁定至 %(until)s，请稍后再试或联系管理员。") % {
            "until": self.until_display
        }


class LockoutModelBackend(ModelBackend):
    """Django's backend, refusing a locked account and counting failures towards a lock.

    LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES lock the account for that long;
    a success resets the count. A locked account is refused even with the right password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing says nothing
            return None
        now = timezone.now()
        if user.is_locked:
            raise AccountLocked(user.locked_until)
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_login_count:
                User.objects.filter(pk=user.pk).update(
                    failed_login_count=0, first_failed_login_at=None, locked_until=None
                )
            return user
        record_login_failure(user, now)
        return None


def record_login_failure(user: User, now: dt.datetime) -> None:
    window = dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
        user.failed_login_count = 1
        user.first_failed_login_at = now
    else:
        user.failed_login_count += 1
    if user.failed_login_count >= settings.LOGIN_FAILURE_LIMIT:
        user.locked_until = now + window
    User.objects.filter(pk=user.pk).update(
        failed_login_count=user.failed_login_count,
        first_failed_login_at=user.first_failed_login_at,
        locked_until=user.locked_until,
    )


class MixedCharactersValidator:
    """Passwords mix letters and digits."""

    def validate(self, password, user=None):
        if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
            raise ValidationError(_("密码须同时包含字母和数字"), code="password_no_mix")

    def get_help_text(self):
        return _("密码须同时包含字母和数字。")


def new_token_key() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
