"""The account store: password rules and hashing, API token hashes, adding, finding and resetting users.

Used by the sign-in code (:mod:`geoaccess.web.auth`), the admin's user pages
and ``geoaccess users``. Bad names, roles or passwords raise
:class:`geoaccess.errors.BadInput` with a message a user can act on.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geoaccess.errors import BadInput
from geoaccess.roles import ROLES

from .db import ApiToken, User, utcnow

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
MIN_PASSWORD_LENGTH = 12
PASSWORD_METHOD = "scrypt"  # werkzeug's scrypt (n=2**15, r=8, p=1) with a random salt


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    return check_password_hash(password_hash, password)


def generate_password() -> str:
    """A random one-time password (about 96 bits), easy to type: no look-alike characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
    return "-".join(groups)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) kept for an API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is not acceptable, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    if name and password.lower() == name.lower():
        return "Do not use your name as your password."
    return None


def create_user(
    db: Session, name: str, role: str, password: str | None = None, must_change_password: bool | None = None
) -> tuple[User, str]:
    """Add a user; returns it and its password (generated, one-time, when none is given).

    A generated password must be changed at first sign-in. Raises
    :class:`~geoaccess.errors.BadInput` for a bad name, role or password, or a name already taken.
    """
    if not NAME_RE.match(name):
        raise BadInput("a user name is 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise BadInput(f"role must be one of {', '.join(ROLES)}")
    generated = password is None
    if password is None:
        password = generate_password()
    elif problem := password_problem(password, name):
        raise BadInput(problem)
    if db.scalar(select(User.id).where(func.lower(User.name) == name.lower())) is not None:
        raise BadInput(f"a user named {name!r} already exists")
    user = User(
        name=name,
        role=role,
        password_hash=hash_password(password),
        created=utcnow(),
        failed_logins=0,
        disabled=False,
        must_change_password=generated if must_change_password is None else must_change_password,
    )
    db.add(user)
    db.flush()
    return user, password


def reset_password(user: User) -> str:
    """Give ``user`` a new one-time password (returned, to show once); unlocks the account."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    return password


def issue_token(db: Session, user: User) -> str:
    """A new API token for ``user``: only its hash is stored, so show the returned token once."""
    token = "ga_" + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created=utcnow()))
    db.flush()
    return token


def find_user(db: Session, name: str) -> User | None:
    """The user called ``name`` (case-insensitive), or ``None``."""
    return db.scalar(select(User).where(func.lower(User.name) == name.lower()))
