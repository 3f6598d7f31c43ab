"""Pseudonyms and sample buckets against HMAC-SHA256 computed here, and the key period's
fingerprint; the key derived from the secret key when no pseudonym key is set."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from pydantic import SecretStr

from api.config import Settings
from api.datasets.pseudonyms import fingerprint, key_bytes, pseudonym

SECRET = "s" * 48


def settings(**overrides) -> Settings:
    return Settings(environment="test", secret_key=SECRET, **overrides)


def test_the_key_is_derived_from_the_secret_key_when_unset():
    expected = hmac.new(SECRET.encode(), b"forma pseudonym key", hashlib.sha256).digest()
    assert key_bytes(settings()) == expected
    assert len(expected) == 32


def test_a_configured_key_is_used_as_is():
    assert key_bytes(settings(pseudonym_key=SecretStr("k" * 40))) == b"k" * 40


def test_pseudonym_and_bucket_match_an_hmac_computed_here():
    key = b"a key of the test"
    user = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    digest = hmac.new(key, user.bytes, hashlib.sha256).hexdigest()
    name, bucket = pseudonym(key, user)
    assert name == "a" + digest[:24]
    assert len(name) == 25
    assert bucket == int(digest[:13], 16) / 16**13
    assert 0 <= bucket < 1
    # nothing of the id survives in the pseudonym
    assert user.hex not in name and str(user) not in name


def test_pseudonyms_change_with_the_key_and_differ_between_users():
    users = [uuid.uuid4() for _ in range(200)]
    first = {pseudonym(b"one", u)[0] for u in users}
    second = {pseudonym(b"two", u)[0] for u in users}
    assert len(first) == len(second) == 200
    assert not first & second


def test_buckets_spread_over_the_unit_interval():
    buckets = [pseudonym(b"k", uuid.UUID(int=i))[1] for i in range(4000)]
    below = sum(b < 0.25 for b in buckets) / len(buckets)
    assert 0.22 < below < 0.28  # binomial sd ≈ 0.007


def test_the_fingerprint_names_the_key_without_revealing_it():
    expected = hmac.new(b"k", b"forma key period", hashlib.sha256).hexdigest()[:16]
    assert fingerprint(b"k") == expected
    assert fingerprint(b"k") != fingerprint(b"l")
