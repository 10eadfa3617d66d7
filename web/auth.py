"""Who is asking: sign-in, sessions, API tokens, roles, CSRF, throttling and the sign-in pages.

Interfaces for the other parts of the app::

    from .auth import login_required, api_auth, current_user

    @bp.get("/officer")
    @login_required("officer")            # anonymous -> /login?next=...; wrong role -> 403
    def officer_page(): ...

    @bp.post("/api/v1/journey")
    @api_auth("officer", "manager")       # bearer token or signed-in session; else problem+json 401/403
    def journey(): ...

Roles are matched exactly (an admin is not implicitly an officer): list every
role a view admits; no roles means any signed-in user.

CSRF: every POST/PUT/PATCH/DELETE must carry Flask-WTF's token (a form field
``csrf_token`` from ``{{ csrf_token() }}``, or the ``X-CSRFToken`` header for
JSON sent by the page's scripts; ``base.html`` puts it in
``<meta name="csrf-token">``), except a request that carries no signed-in
session and authenticates with a valid API bearer token (browsers never add a
bearer token to a cross-site request; they do add Basic or Negotiate
credentials, so those never exempt a request). A request to the API (under
``/api/`` or an :func:`api_auth` view) with neither a signed-in session nor a
valid bearer token is 401 before CSRF is judged. Inside :func:`api_auth` a
bad token is 401, never a fallback to the session cookie.

Sessions: a session holds the user's ``session_version`` from sign-in; signing
out, changing or resetting the password and disabling the account bump it, so
every session opened before (copies of the cookie included) is signed out. API
tokens issued before the owner's last password change or reset are refused.

Sign-in throttling never lets one address lock a user out from elsewhere:

* per account and address: ``LOGIN_MAX_FAILURES`` (5) failed sign-ins to one
  name from one client address refuse that address for that name for
  ``LOGIN_LOCK_MINUTES`` (15); each further lockout of the same pair doubles
  the time, up to ``LOGIN_LOCK_MAX_MINUTES`` (240). A correct password from
  another address still signs in. Kept in memory per process.
* per address: 20 failures from one client address within 15 minutes refuse
  further sign-ins from it for the rest of that window with 429
  (``LOGIN_IP_MAX_FAILURES``, ``LOGIN_IP_WINDOW_MINUTES``; in memory per process).

``User.locked_until`` is kept for display only (the admin's user list and
``geoaccess users list`` show "locked"): it is the end of the latest lockout of
any address from the account and never refuses a sign-in by itself. Clearing
it (``geoaccess users reset-password``) lifts every address's lockout of that
account. ``User.failed_logins`` counts failures since the last sign-in.

Sign-in failures, lockouts and 429s go to the ``geoaccess.web.auth.audit``
logger (name, address, reason; never the password). The failure message never
says whether the name exists.

The account store (hashing, adding and resetting users, tokens) is
:mod:`geoaccess.web.users`; the admin's user pages are :mod:`geoaccess.web.admin_users`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar, overload
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from geoaccess.errors import BadInput
from geoaccess.roles import ROLES

from .db import ApiToken, User, init_db, session_scope, utcnow
from .problems import PROBLEM_JSON, problem
from .users import (
    check_password,
    create_user,
    end_sessions,
    find_user,
    hash_password,
    password_problem,
    set_password,
    token_hash,
)

log = logging.getLogger(__name__)
#: Sign-in failures, lockouts and refusals: name, client address and reason, never the password.
audit = logging.getLogger(__name__ + ".audit")
bp = Blueprint("auth", __name__)
csrf = CSRFProtect()

P = ParamSpec("P")
R = TypeVar("R")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Endpoints a user who must change their password may still reach.
OPEN_WHILE_CHANGING = frozenset(
    {"auth.change_password", "auth.logout", "auth.login", "static", "vendor.asset", "pages.healthz"}
)

DEFAULTS: dict[str, Any] = {
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,  # a form stays valid as long as the session
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in _check_csrf (sessionless bearer requests exempt)
    # Flask-WTF's extra Referer check on HTTPS would refuse every form: pages send
    # Referrer-Policy: no-referrer. The token plus SameSite=Lax cookies do the work.
    "WTF_CSRF_SSL_STRICT": False,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_LOCK_MAX_MINUTES": 240,
    "LOGIN_IP_MAX_FAILURES": 20,
    "LOGIN_IP_WINDOW_MINUTES": 15,
}


# --- who is asking ----------------------------------------------------------------------


def _fingerprint(user: User) -> str:
    """Ties a session to the password it was opened with: a reset or change ends other sessions."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]


def current_user() -> User | None:
    """The signed-in user (session or, inside an :func:`api_auth` view, bearer token), or ``None``.

    The returned object is detached: read its fields; change users inside a :func:`session_scope`.
    """
    if "ga_user" not in g:
        g.ga_user = _session_user()
    user: User | None = g.ga_user
    return user


def _session_user() -> User | None:
    """The session's user, if enabled, the password unchanged and not signed out since sign-in; else clears it."""
    uid = session.get("uid")
    if uid is None:
        return None
    with session_scope() as db:
        user = db.get(User, uid)
    if (
        user is None
        or user.disabled
        or session.get("sv") != user.session_version
        or not hmac.compare_digest(session.get("pwh", ""), _fingerprint(user))
    ):
        session.clear()
        return None
    return user


def _bearer_token() -> str | None:
    """The bearer token of the ``Authorization`` header; ``""`` for a header of another form."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else ""


def _request_token_user() -> User | None:
    """The user of this request's valid bearer token, or ``None`` (looked up once per request)."""
    if "ga_token_user" not in g:
        token = _bearer_token()
        g.ga_token_user = _token_user(token) if token else None
    user: User | None = g.ga_token_user
    return user


def _token_user(token: str) -> User | None:
    """The enabled user owning API token ``token``, or ``None``; notes when the token was last used.

    A token issued before its owner's last password change or reset is refused.
    """
    if not token:
        return None
    with session_scope() as db:
        row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        if row is None:
            return None
        user = db.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        if user.password_changed is not None and row.created < user.password_changed:
            return None
        now = utcnow()
        if row.expires is not None and row.expires <= now:
            return None
        if row.last_used is None or now - row.last_used > dt.timedelta(minutes=1):
            row.last_used = now  # at most one write a minute per token
    return user


@overload
def login_required(view: Callable[P, R], /) -> Callable[P, R | BaseResponse]: ...
@overload
def login_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | BaseResponse]]: ...
def login_required(*roles: str | Callable[..., Any]) -> Callable[..., Any]:
    """Page decorator: anonymous -> redirect to /login?next=...; a role not in ``roles`` -> 403.

    ``@login_required("officer", "admin")``; ``@login_required()`` or a bare
    ``@login_required`` admit any signed-in user. The view keeps its parameters; it may also
    answer with the redirect to the sign-in page.
    """
    if len(roles) == 1 and callable(bare := roles[0]):  # used bare: @login_required
        return login_required()(bare)
    allowed = _check_roles(roles)

    def decorator(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | BaseResponse:
            user = current_user()
            if user is None:
                target = request.full_path if request.query_string else request.path
                return redirect(url_for("auth.login", next=target))
            if allowed and user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


@overload
def api_auth(view: Callable[P, R], /) -> Callable[P, R | Response]: ...
@overload
def api_auth(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]: ...
def api_auth(*roles: str | Callable[..., Any]) -> Callable[..., Any]:
    """API decorator: a valid ``Authorization: Bearer TOKEN`` or a signed-in session.

    A missing or bad token -> 401, a role not in ``roles`` (or a password that
    must be changed first) -> 403, both as problem+json. Bare ``@api_auth``
    admits any authenticated user. The view keeps its parameters; it may also
    answer with one of those problems.
    """
    if len(roles) == 1 and callable(bare := roles[0]):
        return api_auth()(bare)
    allowed = _check_roles(roles)

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            token = _bearer_token()
            if token is not None:
                user = _request_token_user()
                if user is None:
                    return problem(401, "Unauthorized", "The bearer token is missing, malformed, revoked or unknown.")
                g.ga_user = user
            else:
                user = current_user()
                if user is None:
                    return problem(
                        401,
                        "Unauthorized",
                        "Send 'Authorization: Bearer TOKEN' (geoaccess users token NAME) or sign in.",
                    )
            if user.must_change_password:
                return problem(403, "Forbidden", "This account must change its password before using the API.")
            if allowed and user.role not in allowed:
                return problem(
                    403, "Forbidden", f"This needs the role {' or '.join(allowed)}; this account is {user.role}."
                )
            return view(*args, **kwargs)

        _API_VIEWS.add(wrapped)
        return wrapped

    return decorator


#: The views wrapped by :func:`api_auth` (anonymous unsafe requests to them are 401 before CSRF).
_API_VIEWS: set[Callable[..., Any]] = set()


def _is_api_view() -> bool:
    """Whether this request goes to the API: under ``/api/`` or to an :func:`api_auth` view."""
    view = current_app.view_functions.get(request.endpoint or "")
    return request.path.startswith("/api/") or view in _API_VIEWS


def _check_roles(roles: tuple[object, ...]) -> tuple[str, ...]:
    """Refuse, at decoration time, a role name that does not exist (a programming error); returns the names."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {ROLES}")
    return tuple(r for r in roles if isinstance(r, str))  # every one, as each is in ROLES


def _is_api_request() -> bool:
    """Whether an error should be answered as problem+json rather than an HTML page."""
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best in ("application/json", PROBLEM_JSON)
    )


# --- app hooks --------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Auth for ``app``: database and migrations, CSRF, hooks, sign-in pages and the first-start admin."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    init_db(app)
    csrf.init_app(app)
    app.jinja_env.globals["current_user"] = current_user
    app.extensions["geoaccess.login_ip"] = _IpFailures()
    app.extensions["geoaccess.login_pair"] = _PairFailures()
    app.before_request(_check_csrf)
    app.before_request(_force_password_change)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(403, _forbidden)
    app.register_blueprint(bp)
    if app.config.get("BOOTSTRAP_ADMIN", not app.testing):
        bootstrap_admin(app)


def _check_csrf() -> Response | None:
    """Before each unsafe request: the CSRF token, unless sessionless with a valid bearer token.

    A request with a signed-in session always needs the token, whatever its
    ``Authorization`` header (browsers add Basic or Negotiate credentials to
    cross-site requests). An API request with neither session nor valid token is 401.
    """
    if request.method not in UNSAFE_METHODS:
        return None
    if current_user() is None:
        if _request_token_user() is not None:
            return None
        if _is_api_view():
            return problem(
                401, "Unauthorized", "Send 'Authorization: Bearer TOKEN' (geoaccess users token NAME) or sign in."
            )
    csrf.protect()
    return None


def _csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    """A failed CSRF check: 400, as problem+json or a page."""
    if _is_api_request():
        return problem(
            400,
            "Bad Request",
            f"CSRF check failed: {error.description} Send the X-CSRFToken header, or use a bearer token.",
        )
    return render_template(
        "account_error.html",
        title="Form expired or invalid",
        message="The form could not be accepted (its security token was missing, "
        "wrong or expired). Go back, reload the page and try again.",
    ), 400


def _forbidden(_error: Exception) -> Response | tuple[str, int]:
    """A 403, as problem+json or a page."""
    if _is_api_request():
        return problem(403, "Forbidden", "This account may not do this.")
    return render_template(
        "account_error.html", title="Not allowed", message="Your account's role does not give access to this page."
    ), 403


def _force_password_change() -> BaseResponse | None:
    """Before each request: a session that must change its password goes to the change form (API: 403).

    This holds whatever ``Authorization`` header comes with the session cookie, except in an
    API view given a valid bearer token: that request acts as the token's user (whom
    :func:`api_auth` checks), not as the session's.
    """
    if request.endpoint in OPEN_WHILE_CHANGING:
        return None
    if _bearer_token() and _is_api_view() and _request_token_user() is not None:
        return None
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    if request.path.startswith("/api/"):
        return problem(403, "Forbidden", "This account must change its password first.")
    return redirect(url_for("auth.change_password"))


def bootstrap_admin(app: Flask) -> str | None:
    """On first start (no users), create ``admin`` with a one-time password printed once to stderr.

    Returns the password (for tests), or ``None`` when users already exist.
    """
    with session_scope(app) as db:
        users = db.scalar(select(func.count(User.id)))
        pending = db.scalar(
            select(User).where(User.role == "admin", User.must_change_password.is_(True), User.last_login.is_(None))
        )
    if users:
        if pending is not None and users == 1:
            print(
                f"geoaccess: the first-start admin '{pending.name}' has not signed in yet. If its one-time "
                f"password is lost, run: geoaccess users reset-password {pending.name}",
                file=sys.stderr,
            )
        return None
    try:
        with session_scope(app) as db:
            _, password = create_user(db, "admin", "admin", must_change_password=True)
    except (IntegrityError, BadInput):  # another process created it first
        return None
    print(
        "\n".join(
            [
                "geoaccess: first start, no users: created the user 'admin' with this one-time password",
                "",
                f"    {password}",
                "",
                "It is shown only now. Sign in at /login; you will be asked to choose a new password.",
            ]
        ),
        file=sys.stderr,
    )
    return password


class _IpFailures:
    """Failed sign-ins per client address in a sliding window (in memory, per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, ip: str, window: float) -> deque[float]:
        """The failure times of ``ip`` still inside the window (call with the lock held)."""
        times = self._failures[ip]
        cutoff = time.monotonic() - window
        while times and times[0] < cutoff:
            times.popleft()
        return times

    def blocked(self, ip: str, limit: int, window: float) -> bool:
        """Whether ``ip`` has ``limit`` or more failures in the last ``window`` seconds."""
        with self._lock:
            blocked = len(self._trim(ip, window)) >= limit
            if not self._failures[ip]:
                del self._failures[ip]
            return blocked

    def record(self, ip: str, window: float) -> None:
        """Note a failure from ``ip`` now."""
        with self._lock:
            self._trim(ip, window).append(time.monotonic())


class _PairFailures:
    """Failed sign-ins per (account name, client address), with lockouts that double (in memory, per process).

    A pair's state is forgotten once it has been quiet (no failure, no lockout in force) for the
    longest lockout, so the doubling starts over and the table does not grow without bound.
    """

    _SWEEP_EVERY = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (name, ip) -> [failures since the last lockout, lockouts so far, locked until, last event]
        self._pairs: dict[tuple[str, str], list[float]] = {}
        self._records = 0

    @staticmethod
    def key(name: str, ip: str) -> tuple[str, str]:
        """The pair's key (names are matched case-insensitively, as :func:`find_user` does)."""
        return (name.lower(), ip)

    def locked_for(self, key: tuple[str, str]) -> float:
        """Seconds the pair is still locked out, or 0."""
        with self._lock:
            state = self._pairs.get(key)
            return max(0.0, state[2] - time.monotonic()) if state else 0.0

    def lift(self, key: tuple[str, str]) -> None:
        """End the pair's lockout (it was lifted by an administrator), keeping its lockout count."""
        with self._lock:
            state = self._pairs.get(key)
            if state:
                state[0], state[2] = 0, 0.0

    def forget(self, key: tuple[str, str]) -> None:
        """Drop the pair's state (a correct password from it)."""
        with self._lock:
            self._pairs.pop(key, None)

    def record(self, key: tuple[str, str], limit: int, lock: float, cap: float) -> float:
        """Note a failure from the pair now; returns the lockout (seconds) it starts, or 0."""
        now = time.monotonic()
        with self._lock:
            self._records += 1
            if self._records % self._SWEEP_EVERY == 0:
                self._sweep(now, cap)
            state = self._pairs.get(key)
            if state is None or (state[2] <= now and now - state[3] > cap):
                state = self._pairs[key] = [0, 0, 0.0, now]
            state[0] += 1
            state[3] = now
            if state[0] < limit:
                return 0.0
            seconds: float = min(lock * 2.0 ** int(state[1]), cap)
            state[0], state[2] = 0, now + seconds
            state[1] += 1
            return seconds

    def _sweep(self, now: float, cap: float) -> None:
        """Drop the pairs quiet for longer than ``cap`` (call with the lock held)."""
        for key in [k for k, v in self._pairs.items() if v[2] <= now and now - v[3] > cap]:
            del self._pairs[key]


_DUMMY_HASH: list[str] = []


def _dummy_check(password: str) -> None:
    """Spend the time of a real check, so a reply does not reveal whether a name exists."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    check_password(_DUMMY_HASH[0], password)


def _audit(event: str, name: str, ip: str, reason: str) -> None:
    """One line to the audit log: the event, the name tried (quoted, shortened), the address and why."""
    audit.warning("%s: name=%r address=%s reason=%s", event, name[:64], ip, reason)


LANDING = {"officer": "officer.page", "manager": "planner.page", "admin": "admin_users.page"}
"""Where each role starts after signing in: the journey check, the planner, the users."""


def landing_url(user: User | None) -> str:
    """The page ``user`` starts on (see :data:`LANDING`); the venue map for anyone else."""
    return url_for(LANDING.get(user.role, "pages.home") if user is not None else "pages.home")


def _safe_next(target: str | None, user: User | None) -> str:
    """Only a path on this site (never another host, never a scheme-relative URL); else ``user``'s landing page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return landing_url(user)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return landing_url(user)
    return target


def _sign_in(user: User) -> None:
    """Start a fresh session for ``user``, bound to its current password."""
    session.clear()
    session["uid"] = user.id
    session["pwh"] = _fingerprint(user)
    session["sv"] = user.session_version
    session.permanent = True
    g.ga_user = user


# --- pages ------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | tuple[str, int] | BaseResponse:
    """The sign-in form; on success go to ``next`` (a path on this site) or the home page."""
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if (signed_in := current_user()) is not None:
            return redirect(_safe_next(next_url, signed_in))
        return render_template("login.html", next_url=next_url, error=None)

    config = current_app.config
    ip = request.remote_addr or "-"
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    window = config["LOGIN_IP_WINDOW_MINUTES"] * 60
    failures: _IpFailures = current_app.extensions["geoaccess.login_ip"]
    if failures.blocked(ip, config["LOGIN_IP_MAX_FAILURES"], window):
        log.warning("sign-in refused: too many failures from one address")
        _audit("sign-in refused", name, ip, "too many failures from this address (429)")
        return render_template(
            "login.html", next_url=next_url, error="Too many failed sign-ins from this computer. Try again later."
        ), 429

    pairs: _PairFailures = current_app.extensions["geoaccess.login_pair"]
    pair = pairs.key(name, ip)
    lock_seconds = config["LOGIN_LOCK_MINUTES"] * 60
    cap_seconds = max(config["LOGIN_LOCK_MAX_MINUTES"] * 60, lock_seconds)
    now = utcnow()
    ok = False
    reason = "no name given"
    with session_scope() as db:
        user = find_user(db, name) if name else None
        locked = pairs.locked_for(pair) if name else 0.0
        if locked and user is not None and (user.locked_until is None or user.locked_until <= now):
            pairs.lift(pair)  # an administrator cleared the account's lock (reset-password)
            locked = 0.0
        if locked:
            _dummy_check(password)
            reason = f"this address is locked out of this account for {int(locked) // 60 + 1} more minute(s)"
        elif user is None or user.disabled:
            _dummy_check(password)
            reason = "disabled account" if user is not None else "unknown name" if name else reason
        elif check_password(user.password_hash, password):
            ok = True
            pairs.forget(pair)
            user.failed_logins = 0
            if user.locked_until is not None and user.locked_until <= now:
                user.locked_until = None  # a later one belongs to another address's lockout: still shown
            user.last_login = now
        else:
            reason = "wrong password"
            user.failed_logins = (user.failed_logins or 0) + 1
        if not ok and name and not locked:
            started = pairs.record(pair, config["LOGIN_MAX_FAILURES"], lock_seconds, cap_seconds)
            if started:
                until = now + dt.timedelta(seconds=started)
                if user is not None and (user.locked_until is None or user.locked_until < until):
                    user.locked_until = until  # for display: this account has an address locked out
                log.warning("sign-in locked out for one account and address after repeated failures")
                _audit("sign-in lockout", name, ip, f"locked out of this account for {started / 60:g} minutes")
    if not ok or user is None:
        _audit("sign-in failed", name, ip, reason)
        failures.record(ip, window)
        return render_template(
            "login.html",
            next_url=next_url,
            error="Wrong name or password, or the account is locked after too many attempts "
            f"(it unlocks after {config['LOGIN_LOCK_MINUTES']} minutes).",
        ), 401
    _sign_in(user)
    log.info("user %s signed in", user.id)
    if user.must_change_password:
        return redirect(url_for("auth.change_password", next=next_url or None))
    return redirect(_safe_next(next_url, user))


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (POST only, with the CSRF token): ends every session of the user, copies of the cookie included."""
    user = current_user()
    if user is not None:
        with session_scope() as db:
            row = db.get(User, user.id)
            if row is not None:
                end_sessions(row)
        log.info("user %s signed out", user.id)
    session.clear()
    g.pop("ga_user", None)
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required()
def change_password() -> str | tuple[str, int] | BaseResponse:
    """Change one's own password (forced after a first-start or reset one-time password)."""
    user = current_user()
    assert user is not None
    next_url = request.values.get("next", "")
    if request.method == "GET":
        return render_template("account_password.html", user=user, next_url=next_url, error=None)
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    confirm = request.form.get("confirm_password", "")
    error = None
    with session_scope() as db:
        row = db.get(User, user.id)
        assert row is not None
        if not check_password(row.password_hash, current):
            error = "Your current password is not right."
        elif new != confirm:
            error = "The two new passwords differ."
        elif new == current:
            error = "Choose a password different from the current one."
        else:
            error = password_problem(new, row.name)
        if error is None:
            set_password(row, new, must_change_password=False)  # ends other sessions and older API tokens
            _sign_in(row)
    if error is not None:
        return render_template("account_password.html", user=user, next_url=next_url, error=error), 400
    log.info("user %s changed their password", user.id)
    return redirect(_safe_next(next_url, user))
