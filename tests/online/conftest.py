from __future__ import annotations

import httpx
import pytest

from opennrm.accounts.services import api_token_create


@pytest.fixture
def api(live_server):
    """Make an httpx client for a user, talking HTTP to the live server with a bearer token."""
    clients: list[httpx.Client] = []

    def for_user(user) -> httpx.Client:
        _token, raw = api_token_create(actor=user, user=user, name="test")
        client = httpx.Client(
            base_url=live_server.url + "/api",
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
        )
        clients.append(client)
        return client

    yield for_user
    for client in clients:
        client.close()
