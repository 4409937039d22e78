"""`flask tocsin token create|revoke|list`."""

import sqlalchemy as sa

from tests.conftest import ApiClient
from tocsin.extensions import db
from tocsin.models import ApiToken


def test_create_prints_the_token_once_and_stores_its_hash(app, runner, client):
    result = runner.invoke(args=["tocsin", "token", "create", "billing"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("tocsin_") and len(secret.splitlines()) == 1
    assert "cannot be shown again" in result.stderr
    assert ApiClient(client, secret).publish().status_code == 201
    listing = runner.invoke(args=["tocsin", "token", "list"]).output
    assert secret not in listing
    name, prefix, _, used, state = listing.strip().split("\t")
    assert (name, state, used != "never") == ("billing", "active", True)
    assert secret.startswith(prefix.rstrip("…"))


def test_revoke_shuts_the_token_out_and_frees_the_name(app, runner, client):
    secret = runner.invoke(args=["tocsin", "token", "create", "billing"]).stdout.strip()
    result = runner.invoke(args=["tocsin", "token", "create", "billing"])
    assert result.exit_code == 2 and "exists" in result.output
    result = runner.invoke(args=["tocsin", "token", "revoke", "billing"])
    assert result.exit_code == 0 and "Revoked" in result.output
    assert ApiClient(client, secret).publish().status_code == 401
    result = runner.invoke(args=["tocsin", "token", "revoke", "billing"])
    assert result.exit_code == 2 and "no active token" in result.output
    renewed = runner.invoke(args=["tocsin", "token", "create", "billing"]).stdout.strip()
    assert ApiClient(client, renewed).publish().status_code == 201
    states = [
        line.split("\t")[-1]
        for line in runner.invoke(args=["tocsin", "token", "list"]).output.splitlines()
    ]
    assert states[0].startswith("revoked") and states[1] == "active"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 2


def test_create_refuses_a_bad_name(runner):
    result = runner.invoke(args=["tocsin", "token", "create", "has space"])
    assert result.exit_code == 2 and "name" in result.output
