"""The error summary's links bring each question and its error into view, as GOV.UK's do.

On a phone-sized screen (390×844), in Spanish, with the keyboard alone.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_signup_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

#: The question of a field (its label, or its group's legend) and its error message, both in view.
QUESTION_IN_VIEW = """(fieldId) => {
    const field = document.getElementById(fieldId);
    const radio = field.type === "radio";
    const question = radio ? field.closest("fieldset").querySelector("legend")
                           : document.querySelector(`label[for="${fieldId}"]`);
    const error = document.getElementById(radio ? field.name + "-error" : fieldId + "-error");
    const inView = (element) => {
        const box = element.getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
    };
    return {question: inView(question), error: inView(error), focused: document.activeElement === field,
            questionTop: Math.round(question.getBoundingClientRect().top)};
}"""

ALL_IN_VIEW = {"question": True, "error": True, "focused": True}


def _in_view(page, field_id: str) -> dict:
    found = page.evaluate(QUESTION_IN_VIEW, field_id)
    return {key: found[key] for key in ALL_IN_VIEW} | ({} if found["question"] else {"top": found["questionTop"]})


def _tab_to(page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{selector} never took the focus in {limit} presses of Tab")


def _type_into(page, field_id: str, text: str) -> None:
    _tab_to(page, f"#{field_id}")
    page.keyboard.type(text)


def _choose_by_keyboard(page, field_name: str, index: int) -> None:
    """Tab into a group of radios, choose its first one with Space, then move down with the arrows."""
    _tab_to(page, f'[name="{field_name}"]')
    page.keyboard.press("Space")
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"#{field_name}-{index}")).to_be_checked()


def test_spanish_keyboard_user_fixes_two_errors_through_the_summary(live_server, page):
    """She forgets her last names and, having said she is working, the layoff question that this
    answer brought up; the summary takes her to each, with its question and error in view."""
    page.goto(f"{live_server}/es/signup")
    _type_into(page, "first_name", "Lucía")
    _type_into(page, "email", "lucia.ramirez@example.com")
    _type_into(page, "zip_code", "12207")
    expect(page.locator("#layoff_notice-0")).to_be_hidden()
    _choose_by_keyboard(page, "employment_status", 5)  # "Estoy trabajando"
    expect(page.get_by_text("¿Su empleador le avisó por escrito que su empleo va a terminar?")).to_be_visible()
    _choose_by_keyboard(page, "agency_staff", 1)  # no
    _tab_to(page, "#attestation")
    page.keyboard.press("Space")
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Escriba sus apellidos", "Díganos si tiene un aviso de despido"])

    page.keyboard.press("Tab")
    expect(summary.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#last_name")).to_be_focused()
    assert _in_view(page, "last_name") == ALL_IN_VIEW
    _screenshot_viewport(page, "error-summary-es-last-name.png")
    page.keyboard.type("Ramírez Núñez")

    _tab_to(page, '[data-error-summary] a[href="#layoff_notice-0"]', backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator("#layoff_notice-0")).to_be_focused()
    assert _in_view(page, "layoff_notice-0") == ALL_IN_VIEW
    _screenshot_viewport(page, "error-summary-es-layoff-notice.png")
    page.keyboard.press("Space")  # "Sí": a layoff notice

    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/es/signup/received$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Recibimos su solicitud")


def test_every_link_of_the_summary_shows_its_question_and_error(live_server, page):
    page.goto(f"{live_server}/es/signup")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    links = page.locator("[data-error-summary] a")
    expect(links.first).to_be_visible()
    assert links.count() == 7  # every required question (the language is chosen already)

    found = {}
    for index in range(links.count()):
        link = links.nth(index)
        field_id = link.get_attribute("href")[1:]
        link.focus()
        page.keyboard.press("Enter")
        found[field_id] = _in_view(page, field_id)
    assert found == {field_id: ALL_IN_VIEW for field_id in found}


def test_without_javascript_the_links_still_lead_to_the_fields(live_server, browser, browser_context_args):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/es/signup")
        page.get_by_role("button", name="Enviar mi solicitud").click()
        found = {}
        for field_id in ("last_name", "email", "employment_status-0", "attestation"):
            page.locator(f'[data-error-summary] a[href="#{field_id}"]').click()
            expect(page).to_have_url(re.compile(f"#{field_id}$"))
            found[field_id] = _in_view(page, field_id)
        assert found == {field_id: ALL_IN_VIEW for field_id in found}
    finally:
        context.close()


def _screenshot_viewport(page, name: str) -> None:
    """What the person sees right after the jump (not the whole page)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))
