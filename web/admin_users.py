"""The admin's user pages under ``/admin/users``: list users, add one, change a role, reset a password, disable,
list and revoke API tokens (never shown: only an id and the last four characters of the hash).

A new or reset password is generated, shown once on the page returned and must
be changed at the user's next sign-in. No change may leave no enabled admin,
and an admin cannot disable their own account. Pages are never cached.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.errors import BadInput
from geoaccess.roles import ROLES

from .auth import current_user, login_required
from .db import ApiToken, User, session_scope, utcnow
from .users import create_user, reset_password, revoke_token, token_hint

log = logging.getLogger(__name__)
bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def init_app(app: Flask) -> None:
    """Register the pages."""
    app.register_blueprint(bp)


def _page(status: int = 200, **context: Any) -> Response:
    """The users page (``error`` and ``shown_password`` optional), with ``status``."""
    with session_scope() as db:
        users = db.scalars(select(User).order_by(func.lower(User.name))).all()
        tokens: dict[int, list[dict[str, Any]]] = {}
        for row in db.scalars(select(ApiToken).order_by(ApiToken.id)):
            tokens.setdefault(row.user_id, []).append(
                {"id": row.id, "created": row.created, "last_used": row.last_used, "hint": token_hint(row)}
            )
    context.setdefault("error", None)
    context.setdefault("shown_password", None)
    response = current_app.make_response(
        (
            render_template(
                "admin_users.html", users=users, tokens=tokens, roles=ROLES, now=utcnow(), me=current_user(), **context
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _user(db: Session, user_id: int) -> User:
    """The user with ``user_id``, else 404."""
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _would_leave_no_admin(db: Session, user: User) -> bool:
    """Whether demoting or disabling ``user`` leaves no enabled admin."""
    if user.role != "admin" or user.disabled:
        return False
    admins = db.scalar(select(func.count(User.id)).where(User.role == "admin", User.disabled.is_(False))) or 0
    return admins <= 1


@bp.get("")
@login_required("admin")
def page() -> Response:
    """Every user: role, state, last sign-in; forms to add, change role, reset, disable."""
    return _page()


@bp.post("")
@login_required("admin")
def add() -> Response:
    """Add a user with a generated one-time password, shown once on the page returned."""
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    try:
        with session_scope() as db:
            user, password = create_user(db, name, role)
    except BadInput as exc:
        return _page(400, error=str(exc))
    admin = current_user()
    assert admin is not None  # login_required admits signed-in users only
    log.info("admin %s added user %s", admin.id, user.id)
    return _page(201, shown_password=(user.name, password))


@bp.post("/<id:user_id>/role")
@login_required("admin")
def set_role(user_id: int) -> BaseResponse:
    """Change a user's role (never leaving no enabled admin)."""
    role = request.form.get("role", "")
    if role not in ROLES:
        return _page(400, error=f"Role must be one of {', '.join(ROLES)}.")
    with session_scope() as db:
        user = _user(db, user_id)
        if role != "admin" and _would_leave_no_admin(db, user):
            return _page(400, error="That would leave no admin.")
        user.role = role
    return redirect(url_for("admin_users.page"), code=303)


@bp.post("/<id:user_id>/reset")
@login_required("admin")
def reset(user_id: int) -> Response:
    """A new one-time password (shown once); the user must change it; unlocks the account."""
    with session_scope() as db:
        user = _user(db, user_id)
        password = reset_password(user)
    return _page(200, shown_password=(user.name, password))


@bp.post("/<id:user_id>/disable")
@login_required("admin")
def disable(user_id: int) -> BaseResponse:
    """Disable (``disabled=1``) or enable (``disabled=0``) an account; a disabled one cannot sign in or use tokens."""
    disabled = request.form.get("disabled", "1") != "0"
    admin = current_user()
    assert admin is not None  # login_required admits signed-in users only
    with session_scope() as db:
        user = _user(db, user_id)
        if disabled and user.id == admin.id:
            return _page(400, error="You cannot disable your own account.")
        if disabled and _would_leave_no_admin(db, user):
            return _page(400, error="That would leave no admin.")
        user.disabled = disabled
    return redirect(url_for("admin_users.page"), code=303)


@bp.post("/<id:user_id>/tokens/<id:token_id>/revoke")
@login_required("admin")
def revoke(user_id: int, token_id: int) -> BaseResponse:
    """Revoke (delete) one of a user's API tokens; 404 when the user has no such token."""
    admin = current_user()
    assert admin is not None  # login_required admits signed-in users only
    with session_scope() as db:
        user = _user(db, user_id)
        if not revoke_token(db, user, token_id):
            abort(404)
    log.info("admin %s revoked API token %s of user %s", admin.id, token_id, user_id)
    return redirect(url_for("admin_users.page"), code=303)
