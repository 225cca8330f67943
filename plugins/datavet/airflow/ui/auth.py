"""Access control through Airflow's own auth manager.

Airflow mounts plugin apps without any protection, so every route of the datavet app depends on
:func:`asset_reader`: the caller must present an Airflow JWT (``Authorization: Bearer`` from
``POST /auth/token``, or the UI's ``_token`` cookie) and the auth manager must allow that user to
read assets (a certified version is published as an Asset). Pages send a person without a valid
login to Airflow's login page; the JSON API answers 401 (no or bad token) or 403 (not allowed).
"""

from __future__ import annotations

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import AssetDetails
from fastapi import Request
from jwt import InvalidTokenError


class NotAuthenticated(Exception):
    """No token, or one the auth manager rejects (expired, revoked, forged)."""


class NotAllowed(Exception):
    """A valid user whom the auth manager does not allow to read the dataset's Asset."""


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN) or None


def _asset_id(name: str | None) -> str | None:
    """The id of the dataset's certified Asset in Airflow's DB (None before its DAG was parsed)."""
    if not name:
        return None
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from datavet.airflow.operators import certified_asset

    with create_session() as session:
        found = session.scalar(select(AssetModel.id).where(AssetModel.uri == certified_asset(name).uri))
    return None if found is None else str(found)


async def asset_reader(request: Request) -> BaseUser:
    """FastAPI dependency: the authenticated user allowed to read (this dataset's) assets."""
    token = _token(request)
    if not token:
        raise NotAuthenticated("not authenticated: log in to Airflow (POST /auth/token) first")
    manager = get_auth_manager()
    try:
        user = await manager.get_user_from_token(token)
    except InvalidTokenError as exc:  # includes expired and revoked tokens
        raise NotAuthenticated("the Airflow token is invalid or expired: log in again") from exc
    details = AssetDetails(id=_asset_id(request.path_params.get("name")))
    if not manager.is_authorized_asset(method="GET", details=details, user=user):
        raise NotAllowed(f"user {user.get_name()!r} may not read assets in Airflow")
    return user


def login_url(request: Request) -> str:
    """Airflow's login page, coming back to the page asked for (the auth manager knows the sub-path)."""
    return get_auth_manager().get_url_login(next_url=str(request.url))
