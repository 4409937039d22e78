"""Web Push routes: subscribe and unsubscribe (login, CSRF, scoping, validation, SSRF), the
service worker, the device list and the page a push's click opens."""

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tests.push_service import Device
from tests.support import CSRF_RE
from tocsin.channels import push_subscriptions, vapid
from tocsin.extensions import db
from tocsin.models import Notification, PushSubscription

SUBSCRIBE = "/notifications/push/subscribe"
UNSUBSCRIBE = "/notifications/push/unsubscribe"
LOCAL = "127.0.0.1:9"  # a test's "push service": allowed by the setting, never contacted


@pytest.fixture
def local(app):
    app.config["TOCSIN_PUSH_ALLOWED_HOSTS"] = LOCAL


def post_json(alice, body, path=SUBSCRIBE, csrf=True, headers=None):
    headers = {**({"X-CSRFToken": alice.csrf()} if csrf else {}), **(headers or {})}
    return alice.client.post(path, json=body, headers=headers)


def subscription(name="phone", base=f"http://{LOCAL}"):
    return Device(name).subscription(base)


def alice_id(app) -> int:
    with app.app_context():
        return user_id("alice")


def rows(app) -> list[PushSubscription]:
    # Its own app context: one held around the test client's requests would share `g`,
    # where Flask-WTF keeps the token of the session before a login.
    with app.app_context():
        stmt = sa.select(PushSubscription).order_by(PushSubscription.id)
        found = db.session.scalars(stmt).all()
        db.session.expunge_all()
        return list(found)


def test_subscribe_stores_the_device_with_a_label_and_answers_the_list(app, alice, local):
    ua = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0"
    response = post_json(alice, subscription(), headers={"User-Agent": ua})
    assert response.status_code == 201, response.text
    (row,) = rows(app)
    assert row.user_id == alice_id(app) and row.label == "Firefox on Android"
    assert 'id="notification-push"' in response.text and "Firefox on Android" in response.text
    assert f'name="id" value="{row.id}"' in response.text


def test_subscribing_again_updates_the_one_row_of_the_device(app, alice, local):
    first = subscription()
    assert post_json(alice, first).status_code == 201
    again = {**first, "keys": subscription()["keys"]}
    assert post_json(alice, again).status_code == 201
    (row,) = rows(app)
    assert row.p256dh == again["keys"]["p256dh"]


def test_a_device_another_user_had_moves_to_the_one_logged_in_now(app, client, auth, local):
    sub = subscription()
    auth.login("bob")
    assert post_json(auth, sub).status_code == 201
    client.post("/logout", data={"csrf_token": auth.csrf()})
    auth.login("alice")
    assert post_json(auth, sub).status_code == 201
    assert [r.user_id for r in rows(app)] == [alice_id(app)]


def test_subscribe_needs_a_login(app, client, local):
    token = CSRF_RE.search(client.get("/login").text).group(1)
    response = client.post(SUBSCRIBE, json=subscription(), headers={"X-CSRFToken": token})
    assert response.status_code in (302, 401) and not rows(app)


def test_subscribe_needs_the_csrf_token(app, alice, local):
    response = post_json(alice, subscription(), csrf=False)
    assert response.status_code == 400 and not rows(app)


def _with(**changes):
    sub = subscription()
    keys = {**sub["keys"], **changes.pop("keys", {})}
    return {**sub, "keys": keys, **changes}


BAD = {
    "not an object": ([1, 2], "JSON object"),
    "no endpoint": (_with(endpoint=None), "endpoint is required"),
    "no keys": ({"endpoint": f"http://{LOCAL}/x"}, "keys.p256dh"),
    "short p256dh": (_with(keys={"p256dh": "BBBB"}), "keys.p256dh must be 65 bytes"),
    "p256dh not base64url": (_with(keys={"p256dh": "a+b/" * 22}), "keys.p256dh must be base64url"),
    "compressed p256dh": (_with(keys={"p256dh": "Ag" + "A" * 85}), "uncompressed"),
    "short auth": (_with(keys={"auth": "AAAA"}), "keys.auth must be 16 bytes"),
    "javascript endpoint": (_with(endpoint="javascript:alert(1)"), "https"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_subscriptions_are_400_with_a_message(app, alice, local, case):
    body, message = BAD[case]
    response = post_json(alice, body)
    assert response.status_code == 400 and message in response.json["error"], response.json
    assert not rows(app)


SSRF = [
    "http://push.example.com/x",  # not https
    "https://localhost/x",
    "https://push.localhost/x",
    "https://127.0.0.1/x",
    "https://10.0.0.8/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://0.0.0.0/x",
    "https://8.8.8.8:8443/x",  # a port other than https's
    "https://user:pw@8.8.8.8/x",
    f"http://{LOCAL.replace('9', '10')}/x",  # the allowed host's other ports are not
    "https://nowhere.invalid/x",  # does not resolve
]


@pytest.mark.parametrize("endpoint", SSRF)
def test_endpoints_on_private_or_odd_hosts_are_refused(app, alice, local, endpoint):
    response = post_json(alice, _with(endpoint=endpoint))
    assert response.status_code == 400, endpoint
    assert "endpoint" in response.json["error"] and not rows(app)


def test_a_public_https_endpoint_is_accepted(app, alice):
    # An address literal: no DNS needed offline. A name is checked the same way, resolved.
    assert post_json(alice, _with(endpoint="https://8.8.8.8/push/abc")).status_code == 201


def test_a_body_over_the_cap_is_413(app, alice, local):
    response = post_json(alice, _with(padding="x" * 5000))
    assert response.status_code == 413 and not rows(app)


def test_remove_as_a_plain_form_redirects_to_the_preferences(app, alice, local):
    post_json(alice, subscription())
    (row,) = rows(app)
    response = alice.post(UNSUBSCRIBE, {"id": str(row.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notifications/preferences")
    assert not rows(app)


def test_remove_with_htmx_answers_the_list(app, alice, local):
    post_json(alice, subscription("phone"))
    post_json(alice, subscription("laptop"))
    phone, laptop = rows(app)
    response = alice.post(UNSUBSCRIBE, {"id": str(phone.id)}, htmx=True)
    assert response.status_code == 200 and 'id="notification-push"' in response.text
    assert f"push-device-{laptop.id}" in response.text
    assert f"push-device-{phone.id}" not in response.text


def test_another_users_device_is_404_and_stays(app, client, auth, local):
    auth.login("bob")
    post_json(auth, subscription())
    (bobs,) = rows(app)
    client.post("/logout", data={"csrf_token": auth.csrf()})
    auth.login("alice")
    assert auth.post(UNSUBSCRIBE, {"id": str(bobs.id)}).status_code == 404
    assert post_json(auth, {"endpoint": bobs.endpoint}, UNSUBSCRIBE).status_code == 404
    assert len(rows(app)) == 1


def test_the_device_unsubscribes_itself_by_endpoint(app, alice, local):
    sub = subscription()
    post_json(alice, sub)
    assert post_json(alice, {"endpoint": sub["endpoint"]}, UNSUBSCRIBE).status_code == 204
    assert not rows(app)


@pytest.mark.parametrize("data", [{}, {"id": "x"}, {"id": "-1"}, {"id": "9" * 30}])
def test_remove_without_a_good_id_is_400(alice, data):
    assert alice.post(UNSUBSCRIBE, data).status_code == 400


def test_unsubscribe_needs_the_csrf_token(app, alice, local):
    post_json(alice, subscription())
    (row,) = rows(app)
    response = alice.client.post(UNSUBSCRIBE, data={"id": str(row.id)})
    assert response.status_code == 400 and len(rows(app)) == 1


def test_the_service_worker_is_javascript_for_anyone(client):
    response = client.get("/notifications/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert b"showNotification" in response.data and b"requireInteraction" in response.data


def test_the_preferences_page_lists_devices_and_offers_push(app, alice, local):
    post_json(alice, subscription())
    page = alice.client.get("/notifications/preferences").text
    assert 'id="notification-push"' in page and "Enable push on this device" in page
    assert f'data-push-key="{vapid.public_key(app)}"' in page
    assert 'data-push-sw="/notifications/sw.js"' in page
    assert "tocsin-push.js" in page
    assert ">Remove</button>" in page


def test_the_vapid_key_is_made_once_into_the_instance_folder(app):
    path = os.path.join(app.instance_path, app.config["TOCSIN_VAPID_KEY_FILE"])
    key = vapid.public_key(app)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    app.extensions.pop(vapid.KEY)
    assert vapid.public_key(app) == key  # read back, not made again


def test_concurrent_starts_agree_on_one_key(tmp_path):

    path = tmp_path / "keys" / "vapid.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: vapid._from_file(path).private_pem(), range(16)))
    assert len(keys) == 1 and sorted(os.listdir(path.parent)) == ["vapid.pem"]


def test_a_configured_key_is_used(app):
    other = vapid.Vapid()
    other.generate_keys()
    app.config["TOCSIN_VAPID_PRIVATE_KEY"] = other.private_pem().decode()
    app.extensions.pop(vapid.KEY, None)
    assert vapid.load(app).private_pem() == other.private_pem()
    assert not os.path.exists(os.path.join(app.instance_path, "vapid-private.pem"))


def test_a_click_lands_on_a_page_that_marks_read_by_post(app, alice, notify):
    def read_at():
        with app.app_context():
            return db.session.get(Notification, nid).read_at

    nid = notify(title="Build failed", url="/builds/7")
    page = alice.client.get(f"/notifications/push/open/{nid}")
    assert page.status_code == 200 and "data-push-open" in page.text and "Build failed" in page.text
    assert read_at() is None  # a GET changes nothing
    response = alice.post(f"/notifications/push/open/{nid}")
    assert response.status_code == 303 and response.headers["Location"] == "/builds/7"
    assert read_at() is not None


def test_opening_another_users_notification_is_404(alice, notify):
    nid = notify("bob", title="Bob's")
    assert alice.client.get(f"/notifications/push/open/{nid}").status_code == 404
    assert alice.post(f"/notifications/push/open/{nid}").status_code == 404


def test_devices_per_user_are_bounded(app, alice, local):
    for n in range(push_subscriptions.MAX_DEVICES + 2):
        assert post_json(alice, subscription(f"d{n}")).status_code == 201
    names = [r.endpoint.rsplit("/", 1)[1] for r in rows(app)]
    assert len(names) == push_subscriptions.MAX_DEVICES and "d0" not in names and "d11" in names
