"""Issue 9, item 14: two races in the page, each opened on purpose by holding a response.

- Panel-load gap: a notification pushed while the panel's GET is on its way.
- Render-to-open gap: notifications published after the page was rendered but before
  its socket opened (ws.js held back).
"""

import pytest
from playwright.sync_api import expect

from tocsin.testing import Bell

pytestmark = pytest.mark.browser

#: Every toast ever added to the stack, in order: toasts time out, this record does not.
RECORD_TOASTS = """
window.tocsinToasts = [];
document.addEventListener('DOMContentLoaded', function () {
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      change.addedNodes.forEach(function (node) {
        if (node.classList && node.classList.contains('tocsin-toast')) {
          window.tocsinToasts.push({id: node.id, count: node.dataset.count || null,
                                    text: node.textContent.replace(/\\s+/g, ' ').trim()});
        }
      });
    });
  }).observe(document.body, {childList: true, subtree: true});
});
"""


def test_a_notification_pushed_while_the_panel_loads_ends_up_in_the_panel(
    tocsin, page, login, console_errors
):
    (older,) = tocsin.create({"title": "Already here"})
    login(page)
    badge = page.locator("#notification-badge")
    pushed: list[int] = []

    def hold_panel(route):
        """Render the panel now, then publish and let the push land before the response."""
        response = route.fetch()
        (new,) = tocsin.create({"title": f"Arrived meanwhile {len(pushed) + 1}"})
        pushed.append(new)
        expect(page.locator(f"#toast-{new}")).to_be_attached()
        expect(badge).to_have_attribute("data-count", str(1 + len(pushed)))
        route.fulfill(response=response)

    page.route("**/notifications/panel", hold_panel)
    button = page.locator("#notification-bell-button")
    items = page.locator("#notification-list > li")
    # First open: the push finds no list at all. Reopen: it finds the old, hidden list,
    # which the response then replaces.
    for opened in (1, 2):
        button.click()
        expect(page.locator("section#notification-panel")).to_be_visible()
        expect(items).to_have_count(1 + opened)
        ids = [f"notification-{i}" for i in [*pushed[::-1], older]]
        assert [items.nth(i).get_attribute("id") for i in range(len(ids))] == ids
        expect(page.locator("#notification-up-to")).to_have_value(str(pushed[-1]))
        expect(badge).to_have_attribute("data-count", str(1 + opened))
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("aria-expanded", "false")
    assert console_errors == []


@pytest.mark.parametrize("count", [2, 30])
def test_notifications_between_render_and_socket_get_their_toasts_once(
    tocsin, context, page, login, live, console_errors, count
):
    context.add_init_script(RECORD_TOASTS)
    (seen,) = tocsin.create({"title": "Seen on the page"})
    login(page)
    gap: list[int] = []

    def hold_socket_script(route):
        """The page is rendered (its badge says 1); publish before its socket can open."""
        gap.extend(tocsin.create_many(count, title="In the gap"))
        route.continue_()

    page.route("**/vendor/ext/ws.js", hold_socket_script)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(tocsin.url + "/")
    live(page)
    expect(page.locator("#notification-badge")).to_have_attribute("data-count", str(1 + count))
    assert sockets[-1].endswith(f"?since={seen}")
    page.wait_for_function("() => window.tocsinToasts.length > 0")
    toasts = page.evaluate("window.tocsinToasts")
    if count <= 3:  # one toast each, oldest first
        assert [t["id"] for t in toasts] == [f"toast-{i}" for i in gap]
    else:  # one toast says how many
        assert toasts == [
            {
                "id": f"toast-new-{gap[-1]}",
                "count": str(count),
                "text": f"{count} new notifications",
            }
        ]
    expect(page.locator("#toast-stack")).to_have_attribute("aria-live", "polite")
    assert console_errors == []  # the restart below logs refused connections

    # A reconnect asks for what came after the newest id this page has seen: no repeats.
    snapshots = Bell(page).snapshots()
    with page.expect_websocket() as reconnected:
        tocsin.server.stop()
        tocsin.server.start()
    assert reconnected.value.url.endswith(f"?since={gap[-1]}&resumed=1")  # polish: a reconnect
    live(page, after=snapshots)
    (later,) = tocsin.create({"title": "After the reconnect"})
    expect(page.locator(f"#toast-{later}")).to_be_attached()
    assert len(page.evaluate("window.tocsinToasts")) == len(toasts) + 1
