from tests.support.http import register


async def test_register_and_me(client):
    headers = await register(client, "Someone@Example.com", time_zone="Europe/Oslo")
    me = await client.get("/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "someone@example.com"
    assert me.json()["time_zone"] == "Europe/Oslo"
