from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User, clean_user_email
from apikeys.models import Permission
from apikeys.services import apikey_create
from core.errors import ServiceError
from events.services import Actor


class Command(BaseCommand):
    help = (
        "Create an API key linked to EMAIL (creating that user if missing) and print the raw key "
        "alone on the last line of stdout."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The linked user's email.")
        parser.add_argument(
            "--admin", action="store_true", help="Create the user as an Admin (sees all data)."
        )
        parser.add_argument(
            "--permissions",
            default="read",
            help="Comma-separated: read, write, delete (default: read).",
        )
        parser.add_argument(
            "--allow-ip", action="append", default=[], metavar="CIDR",
            help="Allow this address or CIDR range (repeatable; none = every address).",
        )  # fmt: skip
        parser.add_argument("--rate-limit", type=int, help="Requests per minute for this key.")
        parser.add_argument("--name", default="", help="A label for the key.")

    @transaction.atomic  # a bad option leaves neither a key nor a new user behind
    def handle(self, *args, email, admin, permissions, allow_ip, rate_limit, name, **options):
        wanted = {p.strip().lower() for p in permissions.split(",") if p.strip()}
        unknown = wanted - set(Permission.values)
        if unknown or not wanted:
            raise CommandError(f"--permissions takes read, write, delete; got {permissions!r}.")
        try:
            email = clean_user_email(email)
        except ValidationError as exc:
            raise CommandError(f"--email: {' '.join(exc.messages)} (got {email!r})") from None
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, is_staff=admin, is_superuser=admin)
            self.stderr.write(f"Created {'admin' if admin else 'sales rep'} user {email}.")
        elif admin and not user.is_admin:
            raise CommandError(f"{email} exists and is not an admin; --admin will not promote it.")
        try:
            _, raw_key = apikey_create(
                actor=Actor.system(),
                name=name or f"Key for {email}",
                user=user,
                can_read=Permission.READ in wanted,
                can_write=Permission.WRITE in wanted,
                can_delete=Permission.DELETE in wanted,
                allowed_ips=allow_ip,
                rate_limit_per_minute=rate_limit,
            )
        except ServiceError as exc:
            raise CommandError(
                f"{exc.field}: {exc.message}" if exc.field else exc.message
            ) from None
        self.stdout.write(raw_key)
