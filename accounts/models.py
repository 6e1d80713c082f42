from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower


def clean_user_email(email) -> str:
    """A user's email as stored: trimmed and lowercased (the unique index is then
    case-insensitive). Raises ValidationError when it is not an email address: every path that
    makes a user (the admin, create_api_key, the manager) goes through here."""
    email = (email or "").strip().lower()
    validate_email(email)
    longest = User._meta.get_field("email").max_length
    if len(email) > longest:
        raise ValidationError(f"At most {longest} characters.", code="max_length")
    return email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        user = self.model(email=clean_user_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who logs in with their email.

    Staff or superusers are Admins and see every lead; everyone else is a sales rep who sees the
    leads assigned to them. `assigned_to` in the API names a user by this email.
    """

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [
            # Emails are stored lowercased, so the plain unique index is case-insensitive.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.is_staff or self.is_superuser

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
