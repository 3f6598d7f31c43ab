"""Logging in, renewing an expired access token with the refresh token, and error answers
raised as FormaError — the client against a real uvicorn."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from forma_client import Forma, FormaError
from tests.integration.client.conftest import account, raw
from tests.support import accounts
from tests.support.http import PASSWORD


def expired_token(settings, user_id) -> str:
    """An access token of ``user_id`` signed with the server's key, expired a minute ago."""
    now = int(time.time())
    claims = accounts.claims_for(settings, str(user_id), iat=now - 3600, exp=now - 60)
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def test_login_keeps_both_tokens_and_signs_requests(base_url, sync_engine):
    email, _ = account(base_url, sync_engine, "analyst")
    with Forma.login(base_url, email, PASSWORD) as forma:
        assert forma.token and forma.session.refresh_token
        with raw(base_url, email) as http:
            assert forma.models().to_dict("records") == http.get("/v1/models").json()["items"]


def test_an_expired_access_token_is_renewed_once_and_the_request_sent_again(
    base_url, sync_engine, settings
):
    email, user_id = account(base_url, sync_engine, "analyst")
    with Forma.login(base_url, email, PASSWORD) as forma:
        spent = forma.session.refresh_token
        forma.session.access_token = expired_token(settings, user_id)
        expired = forma.token
        models = forma.models()
        assert list(models["name"]) == ["next_e1rm"]
        assert forma.token != expired
        assert forma.session.refresh_token != spent
        # the server rotated the refresh token: the old one is spent (and reusing it
        # would end the session), the new access token works on its own
        with httpx.Client(base_url=base_url) as http:
            me = http.get("/v1/users/me", headers={"Authorization": f"Bearer {forma.token}"})
            assert me.status_code == 200 and me.json()["email"] == email


def test_an_expired_token_without_a_refresh_token_raises_401(base_url, sync_engine, settings):
    _, user_id = account(base_url, sync_engine, "analyst")
    with Forma(base_url, expired_token(settings, user_id)) as forma:
        with pytest.raises(FormaError) as raised:
            forma.models()
    assert (raised.value.status, raised.value.code) == (401, "token_expired")


def test_a_spent_refresh_token_raises_the_servers_401(base_url, sync_engine, settings):
    email, user_id = account(base_url, sync_engine, "analyst")
    with Forma.login(base_url, email, PASSWORD) as forma:
        spent = forma.session.refresh_token
        forma.session.refresh()
        forma.session.refresh_token = spent
        forma.session.access_token = expired_token(settings, user_id)
        with pytest.raises(FormaError) as raised:
            forma.models()
    assert raised.value.status == 401
    assert raised.value.code == "refresh_token_reused"


def test_a_wrong_password_raises_401_invalid_credentials(base_url, sync_engine):
    email, _ = account(base_url, sync_engine)
    with pytest.raises(FormaError) as raised:
        Forma.login(base_url, email, "not the password")
    error = raised.value
    assert (error.status, error.code) == (401, "invalid_credentials")
    assert error.message and error.retry_after is None


def test_athletes_are_refused_the_registry_with_403(base_url, sync_engine):
    email, _ = account(base_url, sync_engine)
    with Forma.login(base_url, email, PASSWORD) as forma:
        with pytest.raises(FormaError) as raised:
            forma.models()
    assert (raised.value.status, raised.value.code) == (403, "forbidden")
    assert "admin" in raised.value.message


def test_a_bad_hyper_parameter_is_422_naming_it(base_url, sync_engine):
    email, _ = account(base_url, sync_engine, "admin")
    with Forma.login(base_url, email, PASSWORD) as forma:
        with pytest.raises(FormaError) as raised:
            forma.train("next_e1rm", wait=False, no_such_param=3)
    error = raised.value
    assert error.status == 422
    assert any("no_such_param" in item["loc"] for item in error.details), error.details
