"""Login rate limits, failed-login records, the caller's address, the API's request-size
limit and the no-store rule for private answers.

Failed logins are counted per account (the normalised username) and per address in
fixed windows (`settings.LOGIN_RATE_WINDOW`). Once either count reaches its limit, a login
POST to any login form (`/accounts/login/`, `/admin/login/`) answers 429 with `Retry-After`
before the password is even checked. Every failure writes a `FailedLogin` row, whichever form
or backend it came through (Django's `user_login_failed` signal).
"""


from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.checks import Error, Tags, register
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from python_ipware import IpWare

from hoopbilling.errors import API_PREFIX, error_body
from hoopbilling.models import FailedLogin
from hoopbilling.ratelimit import WindowCounter


def account_counter() -> WindowCounter:
    return WindowCounter("login-account", settings.LOGIN_FAILURES_PER_ACCOUNT,
                         settings.LOGIN_RATE_WINDOW)


def address_counter() -> WindowCounter:
    return WindowCounter("login-address", settings.LOGIN_FAILURES_PER_ADDRESS,
                         settings.LOGIN_RATE_WINDOW)


def client_address(request) -> str | None:
    """The caller's address, taken only from what our own proxies wrote.

    With no trusted proxy configured: REMOTE_ADDR, whatever headers the caller sent. Behind
    proxies (`TRUSTED_PROXY_COUNT` of them, or the `TRUSTED_PROXIES` list): each proxy
    appends the address it was reached from to X-Forwarded-For, so the hops are that header
    followed by REMOTE_ADDR, and the caller is the hop just before our proxies, counted from
    the right (python-ipware does the parsing and the proxy matching). Whatever the caller
    wrote into the header itself sits further left and is never taken. A request that did not
    come through the listed proxies has its REMOTE_ADDR taken."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not (settings.TRUSTED_PROXY_COUNT or settings.TRUSTED_PROXIES):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = f"{forwarded}, {remote}" if forwarded.strip() else remote
    address, _trusted = _proxies().get_client_ip({"HTTP_X_FORWARDED_FOR": hops})
    return str(address) if address is not None else remote


def _proxies() -> IpWare:
    """The trusted proxies as python-ipware reads them (a bad entry raises ValueError)."""
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",),
                  proxy_count=settings.TRUSTED_PROXY_COUNT or None,
                  proxy_list=list(settings.TRUSTED_PROXIES) or None)


@register(Tags.security)
def trusted_proxies_check(app_configs, **kwargs):
    """`manage.py check` names a TRUSTED_PROXY_COUNT / TRUSTED_PROXIES that cannot be read,
    rather than every login answering 500."""
    try:
        _proxies()
    except ValueError as exc:
        return [Error(f"TRUSTED_PROXY_COUNT / TRUSTED_PROXIES: {exc}",
                      id="hoopbilling.E001")]
    return []


def normalised_username(username) -> str:
    return str(username or "").strip().lower()[:254]


@receiver(user_login_failed, dispatch_uid="hoopbilling.failed_login_record")
def failed_login_record(sender, credentials, request=None, **kwargs):
    username = normalised_username(credentials.get("username"))
    address = client_address(request)
    user_model = get_user_model()
    user = user_model._default_manager.filter(
        **{f"{user_model.USERNAME_FIELD}__iexact": username}).first() if username else None
    FailedLogin.objects.create(
        username=username, user=user, ip_address=address,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:255],
        path=(request.path if request else "")[:200],
    )
    if username:
        account_counter().hit(username)
    if address:
        address_counter().hit(address)


@receiver(user_logged_in, dispatch_uid="hoopbilling.login_counter_reset")
def login_counter_reset(sender, request, user, **kwargs):
    """The account's owner got in: earlier typos no longer count against the account (the
    address keeps its count, so guessing many accounts from one place stays limited)."""
    account_counter().reset(normalised_username(user.get_username()))


class LoginRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._login_paths = None

    def login_paths(self) -> set[str]:
        if self._login_paths is None:
            self._login_paths = {reverse("login"), reverse("admin:login")}
        return self._login_paths

    def __call__(self, request):
        if request.method == "POST" and request.path in self.login_paths():
            limited = self.limited_by(request)
            if limited is not None:
                response = render(request, "registration/login_limited.html",
                                  {"retry_minutes": -(-limited // 60)}, status=429)
                response["Retry-After"] = str(limited)
                return response
        return self.get_response(request)

    def limited_by(self, request) -> int | None:
        """Seconds to wait when the account or the address is over its limit, else None."""
        username = normalised_username(request.POST.get("username"))
        address = client_address(request)
        for counter, identity in ((account_counter(), username), (address_counter(), address)):
            if identity and counter.blocked(identity):
                return counter.retry_after()
        return None


class ApiBodySizeMiddleware:
    """An API request whose declared body is over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 in
    the API's error shape before anything reads it (DRF's JSON parser reads the stream
    without Django's size check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path.startswith(API_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse(error_body("payload_too_large",
                                               f"Request body over {limit} bytes."),
                                    status=413)
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """Whatever a signed-in person or an API key is answered (pages, CSV and PDF exports,
    API answers, errors too) carries balances or account data: it is marked as Django's
    `never_cache` marks a view (`Cache-Control: max-age=0, no-cache, no-store,
    must-revalidate, private`), so neither the browser's history nor a shared cache keeps it.
    Anonymous answers (static files, /healthz) are left as their views make them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self.private(request):
            add_never_cache_headers(response)
        return response

    @staticmethod
    def private(request) -> bool:
        if request.path.startswith(API_PREFIX) or "HTTP_AUTHORIZATION" in request.META:
            return True
        # Without a session cookie nobody is signed in: the session is not even read.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)
