"""The whole live flow runs under the Content-Security-Policy without one violation."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

UNREAD = re.compile(r"\bis-unread\b")
#: Reports every CSP violation, and every time htmx wanted eval, to the test.
WATCH = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.tocsinReport('csp: ' + e.violatedDirective + ' blocked ' + e.blockedURI
                      + ' at ' + e.sourceFile + ':' + e.lineNumber);
});
document.addEventListener('htmx:evalDisallowedError', function () {
  window.tocsinReport('htmx wanted eval');
});
"""
HTMX_CONFIG = """() => ({
  allowEval: htmx.config.allowEval,
  allowScriptTags: htmx.config.allowScriptTags,
  selfRequestsOnly: htmx.config.selfRequestsOnly,
  historyCacheSize: htmx.config.historyCacheSize,
  includeIndicatorStyles: htmx.config.includeIndicatorStyles,
  styles: document.querySelectorAll('style').length,
})"""


def test_the_live_flow_reports_no_csp_violation(
    tocsin, context, page, login, open_panel, console_errors
):
    reports: list[str] = []
    context.expose_binding("tocsinReport", lambda _source, text: reports.append(text))
    context.add_init_script(WATCH)
    documents = []
    page.on("response", lambda r: r.request.resource_type == "document" and documents.append(r))
    tocsin.create_many(24, "Old")  # more than a page (20): "Load more" shows

    login(page)
    panel = open_panel(page)
    panel.get_by_role("link", name="Load more").click()
    expect(panel.locator("li.tocsin-item")).to_have_count(24)

    (live,) = tocsin.create({"title": "Live one", "priority": "high"})  # pushed: item + toast
    toast = page.locator(f"#toast-{live}")
    expect(toast).to_be_visible()
    toast.get_by_role("button", name="Dismiss: Live one").click()
    expect(toast).to_have_count(0)
    item = panel.locator(f"#notification-{live}")
    item.get_by_role("button", name="Mark as read: Live one").click()
    expect(item).not_to_have_class(UNREAD)

    (friend,) = tocsin.create({"type": "friend_request", "title": "Hi", "actor": "bob"})
    request = panel.locator(f"#notification-{friend}")
    request.get_by_role("button", name="Accept friend request from bob").click()
    expect(request.locator(".tocsin-item-outcome")).to_have_text("Accepted")

    panel.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", "0")
    expect(panel.locator("li.is-unread")).to_have_count(0)

    page.goto(tocsin.url + "/notifications")
    inbox = page.locator("#notification-list")
    expect(inbox.locator("li.tocsin-item")).to_have_count(20)
    page.get_by_role("link", name="Load more").click()
    expect(inbox.locator("li.tocsin-item")).to_have_count(26)
    (late,) = tocsin.create({"title": "On the inbox page"})
    expect(inbox.locator(f"#notification-{late}")).to_be_visible()

    assert reports == []
    assert page.evaluate(HTMX_CONFIG) == {
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "historyCacheSize": 0,
        "includeIndicatorStyles": False,
        "styles": 0,  # htmx injected no <style> of its own
    }
    paths = [d.url.removeprefix(tocsin.url) for d in documents]
    assert paths == ["/login", "/login", "/", "/notifications"]
    for document in documents:
        policy = document.all_headers()["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
    assert console_errors == []
