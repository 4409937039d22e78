"""Every way in refuses an off-site "relative" link, and nothing follows one stored earlier."""

import pytest
import sqlalchemy as sa

from tests.conftest import user_id
from tocsin import InvalidNotification, notify
from tocsin.extensions import db
from tocsin.models import Notification
from tocsin.notifications import service

URL = "/api/v1/notifications"
OFF_SITE = ["//evil.example/phish", "/\\evil.example", "/%2F/evil.example", "evil.example/x"]


@pytest.mark.parametrize("url", OFF_SITE)
def test_api_refuses_off_site_links_with_422(app, api, url):
    response = api.publish(url=url)
    assert response.status_code == 422 and response.json["field"] == "url", response.json
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize("url", OFF_SITE)
def test_cli_refuses_off_site_links_with_exit_2(runner, url):
    result = runner.invoke(
        args=["tocsin", "send", "--to", "alice", "--type", "comment", "--title", "Hi", "--url", url]
    )
    assert result.exit_code == 2 and "Invalid value for --url: " in result.output, result.output


@pytest.mark.parametrize("url", OFF_SITE)
def test_notify_refuses_off_site_links(ctx, url):
    with pytest.raises(InvalidNotification, match="^url: "):
        notify("alice", "comment", "Hi", url=url)


@pytest.fixture
def stored(app):
    """Store a notification whose link was written before links were checked."""

    def stored(url: str) -> int:
        with app.app_context():
            nid = service.create(db.session, user_id("alice"), type="comment", title="Hi").id
            db.session.execute(
                sa.update(Notification).where(Notification.id == nid).values(url=url)
            )
            db.session.commit()
            return nid

    return stored


@pytest.mark.parametrize("url", OFF_SITE)
def test_mark_read_never_follows_a_stored_off_site_link(auth, stored, url):
    auth.login()
    nid = stored(url)
    response = auth.post(f"/notifications/{nid}/read", {"follow": "1"})
    assert response.status_code == 303 and response.location == "/notifications"
    nid = stored(url)
    response = auth.post(f"/notifications/{nid}/read", {"follow": "1"}, htmx=True)
    assert response.status_code == 200 and "HX-Redirect" not in response.headers


def test_items_and_toasts_never_link_to_a_stored_off_site_link(app, auth, client, stored):
    auth.login()
    nid = stored("//evil.example/phish")
    page = client.get("/notifications").text
    assert f'id="notification-{nid}"' in page
    assert "evil.example" not in page
    with app.test_request_context(), app.app_context():
        n = db.session.get(Notification, nid)
        toast = str(app.jinja_env.get_template("tocsin/_toast.html").module.toast(n))
    assert f'id="toast-{nid}"' in toast and "evil.example" not in toast
