"""docs/operations.md stays true: its YAML loads, and its metrics are the page's metrics."""

import re
from pathlib import Path

import yaml

from tests.metrics_support import samples

DOC = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def test_the_scrape_config_and_the_rules_load():
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]
    [scrape] = [b for b in blocks if "scrape_configs" in b]
    assert scrape["scrape_configs"][0]["authorization"]["type"] == "Bearer"
    [rules] = [b for b in blocks if "groups" in b]
    alerts = {rule["alert"]: rule["expr"] for rule in rules["groups"][0]["rules"]}
    assert "tocsin_broker_up" in alerts["TocsinBrokerDown"]
    assert "tocsin_queue_depth" in alerts["TocsinQueueBacklogGrowing"]
    assert 'state="dead"' in alerts["TocsinDeadDeliveries"]
    assert 'code="1013"' in alerts["TocsinTooManyBehindClosed"]
    assert "tocsin_publish_seconds_bucket" in alerts["TocsinPublishSlow"]


def test_the_table_names_every_tocsin_metric_on_the_page(client, notify, ctx):
    notify()  # so that the publish histogram and counters have samples
    documented = set(re.findall(r"^\| `(tocsin_\w+)` \|", DOC.read_text(), re.M))
    on_page = {
        re.sub(r"_(bucket|count|sum)$", "", name)
        for name, _ in samples(client.get("/metrics").text)
        if name.startswith("tocsin_") and not name.endswith("_created")
    }
    on_page.discard("tocsin_deliveries")  # present once a row is queued, failed or dead
    assert on_page <= documented, on_page - documented
