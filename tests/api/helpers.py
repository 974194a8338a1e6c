"""A test client that speaks to the API as one user."""

from __future__ import annotations

from tenure.users.models import Role
from tenure.users.services import api_token_create
from tests.factories import make_user


class Api:
    def __init__(self, client, role: str = Role.MANAGER, user=None):
        self.user = user or make_user(role=role)
        _, token = api_token_create(user=self.user)
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body, **headers):
        return self.client.post(
            f"/api/v1{path}",
            body,
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def patch(self, path, body):
        return self.client.patch(
            f"/api/v1{path}", body, content_type="application/json", headers=self.headers
        )

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def walk(self, path, **params) -> tuple[list[dict], int]:
        """Every item of a list, following next_cursor; returns (items, pages)."""
        items: list[dict] = []
        pages = 0
        cursor = None
        while True:
            query = dict(params, **({"cursor": cursor} if cursor else {}))
            response = self.get(path, **query)
            assert response.status_code == 200, response.content
            page = response.json()
            items += page["items"]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                return items, pages
