"""The account store: password rules and hashing, API token hashes, adding, finding and resetting users.

Used by the sign-in code (:mod:`geoaccess.web.auth`), the admin's user pages
and ``geoaccess users``. Bad names, roles or passwords raise
:class:`geoaccess.errors.BadInput` with a message a user can act on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import string

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geoaccess.errors import BadInput
from geoaccess.roles import ROLES

from .db import ApiToken, User, utcnow

MOST_TOKEN_DAYS = 3650
"""The longest a token may be issued for (``--days``); without it a token lasts until revoked."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
MIN_PASSWORD_LENGTH = 12
MIN_DISTINCT_CHARACTERS = 4
#: Common passwords (compared lower-case, without spaces, and without digits or symbols at either end).
COMMON_PASSWORDS = frozenset(
    """
    password passw0rd p@ssw0rd p@ssword passwort motdepasse contrasena wachtwoord letmein welcome welcome1
    changeme changeit default secret topsecret admin administrator root toor user guest login master
    qwerty qwertyuiop qwertyuiopas qwerty123456 qwertz asdfghjkl asdfghjkl12 zxcvbnm zxcvbnmasdf
    azerty 1qaz2wsx 1q2w3e4r 1q2w3e4r5t6y qazwsxedc qazwsxedcrfv 1qaz2wsx3edc iloveyou iloveyou12
    abc123 abcdef abcdefgh abcdefghijkl abcd1234abcd 123456789012 1234567890ab 123456654321 123123123123
    112233445566 111222333444 098765432109 0987654321 1234567890 123456789 12345678 987654321
    monkey dragon football baseball basketball soccer hockey superman batman spiderman starwars pokemon
    sunshine princess shadow master michael jennifer jordan hunter ranger buster thomas charlie
    trustno1 whatever freedom internet computer letmeinplease letmein123 welcometo welcomehome
    ilovemydog ilovemycat loveyou lovely hello helloworld helloworld1 goodmorning summer winter spring
    autumn christmas happyday access access123 security securepassword strongpassword mypassword
    yourpassword newpassword oldpassword password12345 passwordpassword adminadmin administrator1
    geoaccess geoaccess123 officer manager council transport
    """.split()
)
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
    """Why ``password`` is not acceptable, or ``None``; the message never repeats the password.

    At least 12 characters (at most 1024), not only spaces, at least 4 different
    characters, not the user's name and not a common password (a built-in list).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1024 characters."
    if not password.strip():
        return "A password cannot be only spaces."
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return f"Use at least {MIN_DISTINCT_CHARACTERS} different characters."
    compact = "".join(password.lower().split())
    core = compact.strip(string.digits + string.punctuation)
    if name and name.lower() in {password.lower(), compact, core}:
        return "Do not use your name as your password."
    if compact in COMMON_PASSWORDS or core in COMMON_PASSWORDS:
        return "That password is too common: choose another (a few unrelated words work well)."
    return None


def set_password(user: User, password: str, must_change_password: bool) -> None:
    """Give ``user`` the password ``password`` (checked by the caller): ends its sessions and older API tokens."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change_password
    user.password_changed = utcnow()
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session opened before this is refused."""
    user.session_version = (user.session_version or 0) + 1


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
        raise BadInput("a user of that name already exists (names ignore case)")
    user = User(
        name=name,
        role=role,
        password_hash=hash_password(password),
        created=utcnow(),
        failed_logins=0,
        disabled=False,
        must_change_password=generated if must_change_password is None else must_change_password,
        session_version=0,
    )
    db.add(user)
    db.flush()
    return user, password


def reset_password(user: User) -> str:
    """Give ``user`` a new one-time password (returned, to show once); unlocks the account.

    Its sessions end and its API tokens stop working.
    """
    password = generate_password()
    set_password(user, password, must_change_password=True)  # ends its sessions and API tokens
    user.failed_logins = 0
    user.locked_until = None
    return password


def issue_token(db: Session, user: User, days: int | None = None) -> str:
    """A new API token for ``user``, valid for ``days`` days (``None``: until revoked): only its hash is
    stored, so show the returned token once."""
    if days is not None and not 1 <= days <= MOST_TOKEN_DAYS:
        raise BadInput(f"a token lasts from 1 to {MOST_TOKEN_DAYS} days")
    token = "ga_" + secrets.token_urlsafe(32)
    now = utcnow()
    expires = None if days is None else now + dt.timedelta(days=days)
    db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created=now, expires=expires))
    db.flush()
    return token


def find_user(db: Session, name: str) -> User | None:
    """The user called ``name`` (case-insensitive), or ``None``."""
    return db.scalar(select(User).where(func.lower(User.name) == name.lower()))


def user_tokens(db: Session, user: User) -> list[ApiToken]:
    """``user``'s API tokens, oldest first (only hashes are kept: show ``id`` and ``token_hint``, never a token)."""
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all())


def token_hint(row: ApiToken) -> str:
    """The last four characters of the token's hash, to tell tokens apart (not the token)."""
    return row.token_hash[-4:]


def revoke_token(db: Session, user: User, token_id: int) -> bool:
    """Delete ``user``'s API token ``token_id``; whether there was one."""
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return False
    db.delete(row)
    db.flush()
    return True


def revoke_all_tokens(db: Session, user: User) -> int:
    """Delete every API token of ``user``; returns how many."""
    rows = user_tokens(db, user)
    for row in rows:
        db.delete(row)
    db.flush()
    return len(rows)
