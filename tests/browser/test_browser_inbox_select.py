"""Issue 12: the inbox page's selection (click, shift-click, select all), its current row
(j/k/x), the "?" dialog, shortcuts never firing while typing, and live rows per tab."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SELECTED = re.compile(r"\btocsin-selected\b")
CURRENT = re.compile(r"\btocsin-current\b")


def open_inbox(page, tocsin, state: str = "") -> None:
    page.goto(tocsin.url + "/notifications" + (f"?state={state}" if state else ""))
    # Ready for shortcuts once tocsin.js has shown its button (the bulk bar hides on an
    # empty list, "select all" with it).
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_be_visible()


def box(page, title: str):
    return page.get_by_label(f"Select {title}", exact=True)


def test_click_shift_click_and_select_all(tocsin, page, login, console_errors):
    tocsin.create_many(5, "Row")  # newest first on the page: Row 5 .. Row 1
    login(page)
    open_inbox(page, tocsin)
    count = page.locator("#notification-bulk-count")
    archive = page.get_by_role("button", name="Archive", exact=True)
    expect(count).to_have_text("None selected")
    expect(archive).to_be_disabled()

    box(page, "Row 5").click()
    box(page, "Row 2").click(modifiers=["Shift"])  # the range Row 5 .. Row 2
    expect(count).to_have_text("4 selected")
    expect(archive).to_be_enabled()
    for i in (5, 4, 3, 2):
        expect(box(page, f"Row {i}")).to_be_checked()
    expect(box(page, "Row 1")).not_to_be_checked()
    select_all = page.get_by_label("Select all on this page")
    assert select_all.evaluate("el => el.indeterminate") is True

    box(page, "Row 3").click()  # unchecked: a plain click changes that row alone
    box(page, "Row 5").click(modifiers=["Shift"])  # from Row 3 to Row 5, unchecking
    expect(count).to_have_text("1 selected")
    expect(box(page, "Row 2")).to_be_checked()

    select_all.check()
    expect(count).to_have_text("5 selected")
    assert select_all.evaluate("el => el.indeterminate") is False
    select_all.uncheck()
    expect(count).to_have_text("None selected")
    expect(page.locator("#notification-list input[name=ids]:checked")).to_have_count(0)
    assert console_errors == []


def test_a_pushed_row_has_a_checkbox_in_the_inbox_and_none_in_the_panel(
    tocsin, page, login, bell, console_errors
):
    tocsin.create({"title": "Old"})
    login(page)
    # In the panel (another page), the rows' boxes are not shown.
    panel = bell.open_panel()
    expect(panel.locator(".tocsin-item")).to_have_count(1)
    expect(panel.locator("input[name=ids]")).to_be_hidden()

    open_inbox(page, tocsin)
    bell.wait_live()
    (late,) = tocsin.create({"title": "Late"})
    expect(page.locator(f"#notification-{late}")).to_be_visible()
    box(page, "Late").click()
    box(page, "Old").click(modifiers=["Shift"])
    expect(page.locator("#notification-bulk-count")).to_have_text("2 selected")
    assert console_errors == []


def test_a_selected_row_re_rendered_by_a_push_stays_selected(
    tocsin, page, login, bell, console_errors
):
    first, second = tocsin.create({"title": "First"}, {"title": "Second"})
    login(page)
    open_inbox(page, tocsin)
    bell.wait_live()
    box(page, "First").click()
    # Read in another tab: the row is re-rendered in place, with a fresh box.
    other = page.context.new_page()
    other.goto(tocsin.url + "/notifications")
    other.locator(f"#notification-{first}").hover()  # the row's buttons show on hover
    other.get_by_role("button", name="Mark as read: First").click()
    expect(page.locator(f"#notification-{first}")).not_to_have_class(re.compile("is-unread"))
    expect(box(page, "First")).to_be_checked()
    expect(page.locator("#notification-bulk-count")).to_have_text("1 selected")
    other.close()
    assert console_errors == []


def test_j_k_move_the_current_row_and_x_selects_it(tocsin, page, login, console_errors):
    tocsin.create_many(3, "Row")
    login(page)
    open_inbox(page, tocsin)
    rows = page.locator("#notification-list > .tocsin-item")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(CURRENT)
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    expect(rows.nth(0).locator(".tocsin-item-link")).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")  # stays on the last
    expect(rows.nth(2)).to_have_class(CURRENT)
    expect(rows.nth(0)).not_to_have_class(CURRENT)
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(CURRENT)
    page.keyboard.press("x")
    expect(box(page, "Row 2")).to_be_checked()
    expect(rows.nth(1)).to_have_class(SELECTED)
    page.keyboard.press("x")
    expect(box(page, "Row 2")).not_to_be_checked()
    assert console_errors == []


def test_question_mark_opens_the_shortcuts_dialog_escape_closes_it(
    tocsin, page, login, console_errors
):
    tocsin.create({"title": "One"})
    login(page)
    open_inbox(page, tocsin)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Archive")
    # Modal: focus stays inside, the page behind is inert.
    for _ in range(4):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("j")  # no shortcut runs behind it
    expect(page.locator(".tocsin-current")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert console_errors == []


def test_shortcuts_never_fire_while_typing_or_with_modifiers(tocsin, page, login, console_errors):
    tocsin.create_many(2, "Row")
    login(page)
    open_inbox(page, tocsin)
    # A field of the host's page (a search box) and one in a contenteditable.
    page.evaluate(
        """() => {
        const input = document.createElement('input');
        input.type = 'search'; input.setAttribute('aria-label', 'Site search');
        const note = document.createElement('div');
        note.contentEditable = 'true'; note.setAttribute('aria-label', 'Note');
        note.setAttribute('role', 'textbox');
        document.querySelector('main').prepend(input, note);
    }"""
    )
    search = page.get_by_role("searchbox", name="Site search")
    search.click()
    page.keyboard.type("jjx?#e")
    expect(search).to_have_value("jjx?#e")
    note = page.get_by_role("textbox", name="Note")
    note.click()
    page.keyboard.type("jk?")
    expect(note).to_have_text("jk?")
    expect(page.locator(".tocsin-current")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+j")
    expect(page.locator(".tocsin-current")).to_have_count(0)
    page.keyboard.press("j")
    expect(page.locator(".tocsin-current")).to_have_count(1)
    assert console_errors == []


def test_the_unread_tab_takes_new_rows_and_archived_does_not(
    tocsin, page, new_page, login, bell, console_errors
):
    tocsin.create({"title": "Before"})
    login(page)
    open_inbox(page, tocsin, "unread")
    bell.wait_live()
    archived = new_page()
    open_inbox(archived, tocsin, "archived")
    from tocsin.testing import Bell

    Bell(archived).wait_live()

    (late,) = tocsin.create({"title": "Arrived"})
    unread_list = page.locator("#notification-list-unread")
    expect(unread_list.locator(f"#notification-{late}")).to_be_visible()
    expect(unread_list.locator(".tocsin-item").first).to_have_id(f"notification-{late}")
    box(page, "Arrived").click()
    expect(page.locator("#notification-bulk-count")).to_have_text("1 selected")
    Bell(archived).expect_count(2)
    expect(archived.locator(".tocsin-item")).to_have_count(0)
    assert console_errors == []


def test_load_more_on_the_archived_tab_stays_archived(tocsin, page, login, console_errors):
    from app import users
    from tocsin.extensions import db
    from tocsin.notifications import housekeeping

    ids = tocsin.create_many(23, "Old")
    tocsin.create({"title": "Still here"})
    with tocsin.app_context():
        housekeeping.archive(db.session, users.by_username(db.session, "alice").id, ids)
    login(page)
    open_inbox(page, tocsin, "archived")
    archived = page.locator("#notification-list-archived > .tocsin-item")
    expect(archived).to_have_count(20)
    page.get_by_role("link", name="Load more").click()
    expect(archived).to_have_count(23)
    expect(page.locator("#notification-list-archived")).not_to_contain_text("Still here")
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    expect(page).to_have_url(tocsin.url + "/notifications?state=archived")  # appended in place
    # The appended rows take part in the selection like the others.
    page.get_by_label("Select all on this page").check()
    expect(page.locator("#notification-bulk-count")).to_have_text("23 selected")
    assert console_errors == []
