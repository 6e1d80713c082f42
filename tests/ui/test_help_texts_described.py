"""A field's help text is its description: the input's aria-describedby (Django writes
`id_<name>_helptext`) names an element that is on the page and holds that text."""

import html
import re

import pytest

from tests.factories import make_lead

pytestmark = pytest.mark.django_db


def described(page: str) -> dict[str, str]:
    """Each id an input's aria-describedby names → the text of the element with that id ("" when
    no element has it)."""
    found = {}
    for ids in re.findall(r'aria-describedby="([^"]+)"', page):
        for target in ids.split():
            element = re.search(rf'id="{re.escape(target)}"[^>]*>(.*?)</', page, re.S)
            found[target] = html.unescape(element.group(1)).strip() if element else ""
    return found


def test_help_texts_are_the_descriptions_of_their_inputs(rep_client, rep):
    lead = make_lead(name="Priya Sharma", assigned_to=rep)
    pages = {
        "lead page (log a call)": f"/leads/{lead.pk}/",
        "new lead": "/leads/new/",
        "new API key": "/settings/integrations/api/new/",
    }
    checked = 0
    for name, path in pages.items():
        page = rep_client.get(path).content.decode()
        for target, text in described(page).items():
            assert text, f"{name}: aria-describedby names #{target}, which is not on the page"
            checked += 1
    assert described(rep_client.get(pages["lead page (log a call)"]).content.decode())[
        "id_duration_helptext"
    ].startswith("Seconds, or m:ss")
    assert checked >= 3
