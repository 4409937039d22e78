"""One notification fanned out to 10,000 users: every row written, every connected user pushed."""

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.models import User
from tests.support import ClientModel, HttpSession
from tocsin import notify_many
from tocsin.extensions import db
from tocsin.models import Notification, UnreadCounter

RECIPIENTS = 10_000
CONNECTED = 25


def test_fan_out_to_ten_thousand(publisher, server):
    password = generate_password_hash("tocsin")
    with publisher.app_context():
        db.session.execute(
            sa.insert(User),
            [{"username": f"user{i}", "password_hash": password} for i in range(RECIPIENTS - 2)],
        )
        db.session.commit()
        everyone = list(db.session.scalars(sa.select(User.id).order_by(User.id)))
    assert len(everyone) == RECIPIENTS
    names = [f"user{i}" for i in range(0, RECIPIENTS - 2, (RECIPIENTS - 2) // CONNECTED)]
    sessions = [HttpSession(server.url).login(name) for name in names]
    with ExitStack() as stack:
        sockets = [stack.enter_context(s.websocket()) for s in sessions]
        models = [ClientModel() for _ in sockets]
        for ws, model in zip(sockets, models, strict=True):
            model.read(ws, lambda m: m.badge == 0)
        with publisher.app_context():
            ids = notify_many(everyone, "system", "Scheduled maintenance tonight")
            assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == RECIPIENTS
            counters = db.session.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.min(UnreadCounter.unread),
                    sa.func.max(UnreadCounter.unread),
                )
            ).one()
            assert tuple(counters) == (RECIPIENTS, 1, 1)
            mine = dict(
                db.session.execute(
                    sa.select(Notification.user_id, Notification.id).where(Notification.id.in_(ids))
                ).all()
            )
            by_name = dict(
                db.session.execute(
                    sa.select(User.username, User.id).where(User.username.in_(names))
                ).all()
            )
        for name, ws, model in zip(names, sockets, models, strict=True):
            expected = mine[by_name[name]]
            model.read(ws, lambda m, e=expected: m.ids == [e] and m.badge == 1, timeout=30)
            assert model.duplicates == []
        # Close together: each close waits out the dev server's close handshake.
        with ThreadPoolExecutor(len(sockets)) as pool:
            list(pool.map(lambda ws: ws.close(), sockets))
