"""Issue 15, accessibility measured: axe-core finds no violation on any page of Tocsin.

axe-core 4.12.1, as bundled by axe-playwright-python 0.1.8 (its `axe.min.js`), run with
its default rules (WCAG 2.0-2.2 A and AA, and best practices), every impact. Each screen
is audited in light and dark (the context's `color_scheme`) at 390 and 1280 px: the demo
page, the open panel, a toast of each priority that toasts (normal, high, urgent; low
never toasts), the inbox with a search, a type filter and a saved filter, the
preferences page, the analytics page for an admin, the login page. One server and one
context per scheme and width; every screen's violations are gathered first, so a
failure lists all of them, each with its rule, impact, help URL and the offending nodes.
"""

from datetime import datetime

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: axe's run options: every rule of its default set, violations only (smaller answers).
AXE_OPTIONS = {"resultTypes": ["violations"]}
WIDTHS = {"phone": 390, "desktop": 1280}

axe = Axe()


#: Kept before Playwright's clock replaces them (add_init_script runs first): axe-core
#: queues its checks with setTimeout, which a paused clock would never run.
KEEP_TIMERS = """
window.__realTimers = {
  setTimeout: window.setTimeout, clearTimeout: window.clearTimeout,
  setInterval: window.setInterval, clearInterval: window.clearInterval,
  requestAnimationFrame: window.requestAnimationFrame
};
"""
#: Runs axe with the real timers, puts the page's (fake) ones back afterwards.
RUN_AXE = """
async (options) => {
  const fake = {};
  const real = window.__realTimers || {};
  for (const name of Object.keys(real)) { fake[name] = window[name]; window[name] = real[name]; }
  try {
    await Promise.all(document.getAnimations()
      .filter((a) => a.playState === 'running' && a.effect.getTiming().iterations !== Infinity)
      .map((a) => a.finished.catch(() => null)));
    return await axe.run(document, options);
  } finally {
    Object.assign(window, fake);
  }
}
"""


def audit(page, screen: str, found: dict) -> None:
    """Run axe on the page as it is now (animations done); keep its violations."""
    page.evaluate(axe.axe_script)
    results = AxeResults(page.evaluate(RUN_AXE, AXE_OPTIONS))
    if results.violations_count:
        found[screen] = results.response["violations"]


def report(found: dict) -> str:
    """The violations as a reader wants them: screen, rule, impact, where and why."""
    lines = []
    for screen, violations in found.items():
        lines.append(f"== {screen}: {len(violations)} rule(s) violated")
        for v in violations:
            lines.append(f"  - {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
            for node in v["nodes"][:5]:
                lines.append(f"      at {', '.join(map(str, node['target']))}")
                lines.append(f"         {node['html'][:160]}")
                messages = [c["message"] for k in ("any", "all", "none") for c in node[k]]
                for message in messages[:2]:
                    lines.append(f"         > {message}")
            if len(v["nodes"]) > 5:
                lines.append(f"      … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS))
def test_no_axe_violations(tocsin, browser, login, bell, console_errors, scheme, width):
    found: dict = {}
    viewport = {"width": width, "height": 900}
    # The login page, logged out.
    anonymous = browser.new_context(color_scheme=scheme, viewport=viewport)
    try:
        login_page = anonymous.new_page()
        login_page.goto(tocsin.url + "/login")
        expect(login_page.get_by_label("Username")).to_be_focused()
        audit(login_page, "login", found)
    finally:
        anonymous.close()

    page = bell.page
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(viewport)
    # Timers stopped once live: the normal toast (5 s) stays until it is audited.
    page.add_init_script(KEEP_TIMERS)
    page.clock.install()
    tocsin.create(
        {"title": "Invoice 42 overdue", "type": "payment", "body": "Pay by Friday"},
        {"title": "Ada mentioned you", "type": "mention", "body": "in #general"},
        {"title": "Bob wants to be friends", "type": "friend_request", "actor": "bob"},
        {"title": "Ada liked your post", "type": "like", "priority": "low"},
    )
    login(page)
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))
    audit(page, "demo page", found)

    # A toast of each priority that toasts, one at a time, then all three together.
    for priority in ("normal", "high", "urgent"):
        (nid,) = tocsin.create({"title": f"A {priority} one", "priority": priority})
        expect(bell.toast(nid)).to_be_visible()
        audit(page, f"{priority} toast", found)
    bell.open_panel()
    audit(page, "open panel (with toasts)", found)
    bell.close_panel()

    # The inbox: a search, a type filter and a saved filter in the sidebar.
    page.goto(tocsin.url + "/notifications?q=invoice&type=payment")
    bar = page.locator("#tocsin-saved-filters")
    if not bar.get_by_label("Save this view as").is_visible():
        bar.locator("summary").first.click()
    bar.get_by_label("Save this view as").fill("Money")
    bar.get_by_role("button", name="Save this view").click()
    expect(bar.get_by_role("link", name="Money", exact=True)).to_be_visible()
    page.locator(".tocsin-filters-more summary").click()
    audit(page, "inbox, filtered", found)
    page.goto(tocsin.url + "/notifications")
    audit(page, "inbox", found)

    page.goto(tocsin.url + "/notifications/preferences")
    audit(page, "preferences", found)
    page.goto(tocsin.url + "/notifications/analytics")  # alice is an admin in the demo
    expect(page.get_by_role("heading", name="Notification analytics")).to_be_visible()
    audit(page, "analytics", found)

    assert not found, f"axe ({scheme}, {width} px):\n{report(found)}"
    assert console_errors == []
