import hashlib

import pytest

from apikeys.models import APIKey
from apikeys.selectors import apikey_lookup
from apikeys.services import KEY_PREFIX, generate_raw_key, is_well_formed
from tests.factories import make_key


def test_raw_key_is_prefixed_and_carries_at_least_32_random_characters():
    raw = generate_raw_key()
    assert raw.startswith("le_live_")
    assert len(raw) - len(KEY_PREFIX) >= 32 + 6
    assert raw.isascii()
    assert raw[len(KEY_PREFIX) :].isalnum()


def test_every_key_is_different():
    assert len({generate_raw_key() for _ in range(500)}) == 500


def test_checksum_rejects_a_typo():
    raw = generate_raw_key()
    assert is_well_formed(raw)
    typo = raw[:-8] + ("A" if raw[-8] != "A" else "B") + raw[-7:]
    assert not is_well_formed(typo)


@pytest.mark.django_db
def test_malformed_keys_are_rejected_without_a_query(django_assert_num_queries):
    raw = generate_raw_key()
    candidates = ["", "le_live_", "le_test_" + raw[8:], raw[:-1], raw + "x", raw[:-1] + "!"]
    with django_assert_num_queries(0):
        for candidate in candidates:
            assert apikey_lookup(candidate) is None


@pytest.mark.django_db
def test_only_the_sha256_and_a_short_prefix_are_stored(rep):
    api_key, raw = make_key(rep)
    row = APIKey.objects.values().get(pk=api_key.pk)
    assert row["hashed_key"] == hashlib.sha256(raw.encode()).hexdigest()
    assert row["prefix"] == raw[:12]
    assert not any(raw in str(value) for value in row.values())


@pytest.mark.django_db
def test_lookup_is_one_query_with_the_user(rep, django_assert_num_queries):
    _, raw = make_key(rep)
    with django_assert_num_queries(1):
        found = apikey_lookup(raw)
        assert found.user.email == "rep@example.com"
