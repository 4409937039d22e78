"""The email channel's routes: one-click unsubscribe (no login) and the user's address.

GET  <prefix>/unsubscribe/<token>   a small page with one button
POST <prefix>/unsubscribe/<token>   RFC 8058: a mail client's one-click POST (body
                                    ``List-Unsubscribe=One-Click``, no cookies) or the
                                    page's button; the signed token is the credential
POST <prefix>/preferences/email     the address on the preferences page (login, CSRF)
"""

from dataclasses import dataclass

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import state as tocsin_state
from ..extensions import csrf, store
from . import mailer
from . import unsubscribe as unsubscribe_
from .addresses import EMAIL_MAX, InvalidAddress, check_address
from .unsubscribe import BadToken, Outcome

bp = Blueprint("tocsin_email", __name__)


@dataclass(frozen=True)
class AddressSetting:
    """What the preferences page's email field shows."""

    stores: bool
    address: str
    saved: bool = False


def address_setting() -> AddressSetting:
    """The logged-in user's address, for _prefs_email.html (hidden if the host keeps none)."""
    directory = tocsin_state.current().directory
    if not directory.stores_email or not current_user.is_authenticated:
        return AddressSetting(False, "")
    found = directory.emails(store.session, [current_user.id]).get(current_user.id)
    return AddressSetting(True, found or "", request.args.get("email") == "saved")


def init_app(app: Flask, prefix: str) -> None:
    """Register the routes under `prefix` and the preferences page's global."""
    if app.config["TOCSIN_SMTP_URL"]:
        # A typo in the setting stops the app here, not at the first email, hours later.
        mailer.Server.from_url(app.config["TOCSIN_SMTP_URL"])
    app.register_blueprint(bp, url_prefix=prefix)
    app.add_template_global(address_setting, "tocsin_email_setting")


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """Show the confirmation (GET) or unsubscribe (POST, one click, no session)."""
    try:
        user_id, type_name = unsubscribe_.read(token)
    except BadToken as exc:
        return render_template("tocsin/unsubscribe.html", error=str(exc), view=None), 400
    type_ = unsubscribe_.type_of(type_name)
    view = {"token": token, "label": type_.label if type_ else None, "done": None}
    if type_ is not None and type_.critical:
        view["done"] = Outcome.CRITICAL
    elif request.method == "POST":
        view["done"] = unsubscribe_.unsubscribe(store.session, user_id, type_name)
    return render_template("tocsin/unsubscribe.html", error=None, view=view)


@bp.route("/preferences/email", methods=["POST"])
@login_required
def address() -> Response | tuple[str, int]:
    """Save the user's address (empty: none); 400 with the form and a message if bad."""
    directory = tocsin_state.current().directory
    if not directory.stores_email:
        abort(404)
    posted = request.form.get("email", "")[: EMAIL_MAX + 1]
    try:
        value = check_address(posted)
    except InvalidAddress as exc:
        setting = AddressSetting(True, posted)
        return render_template("tocsin/email_address.html", setting=setting, error=str(exc)), 400
    try:
        directory.set_email(store.session, current_user.id, value)
        store.session.commit()
    except Exception:
        store.session.rollback()
        raise
    return redirect(url_for("tocsin.preferences", email="saved") + "#notification-email", 303)
