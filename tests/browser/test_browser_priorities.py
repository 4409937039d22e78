"""Issue 11, priorities you can feel: urgent toasts stay in view ahead of the rest; the chime."""

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: Counts the page's play() calls (and keeps the sources) before any of its scripts run.
RECORD_PLAY = """
window.tocsinPlays = [];
(function () {
  var play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.tocsinPlays.push(this.src);
    return play.apply(this, arguments);
  };
})();
"""
#: Tells the test through the console when the snapshot is in and when a toast arrives:
#: in Chromium, Playwright's first query of a page (a locator, evaluate(), wait_for_*)
#: counts as a user gesture, so a test of "no interaction yet" must not query it.
SIGNALS = """
document.addEventListener('tocsin:snapshot', function () { console.log('test: live'); });
new MutationObserver(function (records) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (/^toast-/.test(node.id || '')) { console.log('test: ' + node.id); }
    });
  });
}).observe(document, { childList: true, subtree: true });
"""
#: Where a tab has decided about a toast's sound (tocsin.js, "sound").
DECIDED = re.compile(r"^(played|elsewhere)$")


def freeze_clock(page) -> None:
    """Stop the page's timers (installed before login): high toasts then never time out."""
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 2))


def plays(page) -> list[str]:
    return page.evaluate("window.tocsinPlays")


def interact(page) -> None:
    """Click the page, as a user would: browsers allow sound only after that."""
    page.get_by_role("heading", name=re.compile("Welcome")).click()
    assert page.evaluate("navigator.userActivation.hasBeenActive") is True


@pytest.mark.parametrize("urgent_first", [False, True], ids=["high-first", "urgent-first"])
def test_urgent_toast_stays_in_view_ahead_of_three_high(
    tocsin, page, login, console_errors, urgent_first
):
    page.clock.install()
    login(page)
    freeze_clock(page)
    urgent_spec = {"title": "Server down", "priority": "urgent"}
    highs = [{"title": f"High {i}", "priority": "high"} for i in range(1, 4)]
    specs = [urgent_spec, *highs] if urgent_first else [*highs, urgent_spec]
    ids = tocsin.create(*specs)
    urgent_id = ids[0] if urgent_first else ids[-1]
    high_ids = [i for i in ids if i != urgent_id]

    toasts = page.locator("#toast-stack .tocsin-toast")
    expect(toasts).to_have_count(4)
    urgent = page.locator(f"#toast-{urgent_id}")
    expect(urgent).to_be_visible()
    expect(urgent).to_have_attribute("role", "alert")
    expect(urgent).to_have_attribute("data-timeout", "0")
    expect(urgent).to_have_attribute("data-priority", "urgent")
    visible = page.locator("#toast-stack .tocsin-toast:visible")
    expect(visible).to_have_count(3)
    expect(visible.first).to_have_id(f"toast-{urgent_id}")  # first in the stack
    expect(toasts.first).to_have_id(f"toast-{urgent_id}")  # in reading and tab order too
    # The newest two high ones fill the other places; the oldest is behind "+1 more".
    expect(page.locator(f"#toast-{high_ids[0]}")).to_be_hidden()
    for high in high_ids[1:]:
        expect(page.locator(f"#toast-{high}")).to_be_visible()
    expect(page.locator("#toast-more")).to_have_text("+1 more")
    # On the screen, above the others and the pill.
    top = urgent.bounding_box()["y"]
    for high in high_ids[1:]:
        assert top < page.locator(f"#toast-{high}").bounding_box()["y"]

    # Dismissing a high one brings the hidden one back; the urgent one stays first.
    page.get_by_role("button", name=f"Dismiss: High {3}").click()
    expect(page.locator(f"#toast-{high_ids[0]}")).to_be_visible()
    expect(page.locator("#toast-more")).to_be_hidden()
    expect(visible.first).to_have_id(f"toast-{urgent_id}")
    assert console_errors == []


def test_more_urgent_toasts_than_places_all_show(tocsin, page, login, console_errors):
    page.clock.install()
    login(page)
    freeze_clock(page)
    high = tocsin.create({"title": "High", "priority": "high"})[0]
    urgent_ids = tocsin.create_many(4, title="Urgent", priority="urgent")
    toasts = page.locator("#toast-stack .tocsin-toast")
    expect(toasts).to_have_count(5)
    for urgent in urgent_ids:
        expect(page.locator(f"#toast-{urgent}")).to_be_visible()
    expect(page.locator(f"#toast-{high}")).to_be_hidden()
    expect(page.locator("#toast-more")).to_have_text("+1 more")
    expect(toasts.first).to_have_id(f"toast-{urgent_ids[0]}")  # urgent ones in arrival order
    expect(toasts.last).to_have_id(f"toast-{high}")
    # A phone's screen: the stack scrolls instead of pushing urgent toasts off the top.
    page.set_viewport_size({"width": 390, "height": 300})
    first = page.locator(f"#toast-{urgent_ids[0]}")
    first.scroll_into_view_if_needed()
    first.get_by_role("button", name="Dismiss: Urgent 1").click()
    expect(first).to_have_count(0)
    assert console_errors == []


def test_high_priority_chimes_once_across_two_tabs_and_normal_never(
    tocsin, context, page, new_page, login, live, console_errors
):
    context.add_init_script(RECORD_PLAY)
    context.clock.install()
    login(page)
    other = new_page()
    other.goto(tocsin.url + "/")
    live(other)
    tabs = (page, other)
    for tab in tabs:
        interact(tab)
    freeze_clock(page)  # both tabs: the toasts stay while the test looks at them

    normal = tocsin.send("Normal news", priority="normal")
    high = tocsin.send("High news", priority="high")
    for tab in tabs:
        expect(tab.locator(f"#toast-{normal}")).to_be_visible()
        expect(tab.locator(f"#toast-{normal}")).not_to_have_attribute("data-sound", "")
        toast = tab.locator(f"#toast-{high}")
        expect(toast).to_have_attribute("data-sound", "")
        # Each tab has decided (under the lock, after the normal toast's push).
        expect(toast).to_have_attribute("data-sound-state", DECIDED)
    played = plays(page) + plays(other)
    assert len(played) == 1, played
    assert played[0].endswith("/chime.wav")
    states = {tab.locator(f"#toast-{high}").get_attribute("data-sound-state") for tab in tabs}
    assert states == {"played", "elsewhere"}
    for tab in tabs:
        expect(tab.locator(f"#toast-{normal}")).not_to_have_attribute("data-sound-state", DECIDED)

    response = page.request.get(played[0])
    assert response.status == 200
    assert response.body()[:4] == b"RIFF"
    assert console_errors == []


def test_no_chime_before_the_user_has_interacted(tocsin, context, new_page, login):
    context.add_init_script(RECORD_PLAY)
    login(new_page())
    context.pages[0].close()  # the login form was clicked there: it may play
    context.add_init_script(SIGNALS)
    page = new_page()  # a tab nobody has touched, watched through its console only
    with page.expect_console_message(lambda m: m.text == "test: live"):
        page.goto(tocsin.url + "/")
    with page.expect_console_message(lambda m: m.text.startswith("test: toast-")) as arrived:
        urgent = tocsin.send("Urgent news", priority="urgent")
    assert arrived.value.text == f"test: toast-{urgent}"

    toast = page.locator(f"#toast-{urgent}")
    expect(toast).to_have_attribute("data-sound", "")
    expect(toast).to_have_attribute("data-sound-state", "inactive")
    assert plays(page) == []

    interact(page)  # later toasts may chime
    toast = page.locator(f"#toast-{tocsin.send('More news', priority='high')}")
    expect(toast).to_have_attribute("data-sound-state", "played")
    assert len(plays(page)) == 1
