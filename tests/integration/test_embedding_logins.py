"""A host's own Flask-Login logins are login records too: ended on the server, they stop."""

import pytest
from websockets.exceptions import InvalidStatus

from tests.integration.test_embedding import host_app, log_in, served  # noqa: F401 - fixtures
from tocsin import logins
from tocsin.models import Login


def test_a_host_login_ended_on_the_server_stops_its_cookie(host_app, served):  # noqa: F811
    app, module = host_app
    buyer = log_in(served, "buyer@example.com", "buyer-pw")
    assert buyer.get("/")[0] == 200
    with buyer.websocket() as ws:
        ws.recv(timeout=5)
    with app.app_context():
        (login,) = module.db.session.scalars(module.db.select(Login)).all()
        assert logins.end_others(module.db.session, login.user_id, keep="") == [login.id]
    assert buyer.get("/")[0] == 401  # the host's login_required, with no login view
    with pytest.raises(InvalidStatus) as refused, buyer.websocket():
        pass
    assert refused.value.response.status_code == 403
