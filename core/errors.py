"""Errors a service raises when a request cannot be honoured. The API renders them as the error
envelope with their status; the browser UI shows their message next to `field`."""


class ServiceError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class InvalidFields(ServiceError):
    """Values that break a domain rule: `errors` maps each field to its message. The error's
    own field and message are the first of them (what the API reports); a form shows them all."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, field)
        self.errors = errors


def clean_fields(fields, cleaners, allowed=None) -> dict:
    """The fields of `fields` that have a cleaner (and are `allowed`, when given), each run
    through it (value in, clean value out, ValueError with the message); every field that
    breaks its rule, at once, as InvalidFields. The rules modules' one loop."""
    cleaned, errors = {}, {}
    for name, value in fields.items():
        if name not in cleaners or (allowed is not None and name not in allowed):
            continue
        try:
            cleaned[name] = cleaners[name](value)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise InvalidFields(errors)
    return cleaned


def text_cleaner(
    max_length: int | None,
    *,
    required: bool,
    one_line: bool = False,
    blank: str = "This field may not be blank.",
):
    """A clean_fields cleaner for a text field: a string without NUL characters, trimmed (and,
    `one_line`, every run of whitespace inside made one space: a name), at most `max_length`
    characters; blank is None, or the error `blank` when `required`."""

    def clean(value):
        if value is None:
            if required:
                raise ValueError("This field may not be null.")
            return None
        if not isinstance(value, str):
            raise ValueError("Must be a string.")
        if "\x00" in value:
            raise ValueError("Must not contain NUL characters.")
        value = " ".join(value.split()) if one_line else value.strip()
        if not value:
            if required:
                raise ValueError(blank)
            return None
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"At most {max_length} characters.")
        return value

    return clean
