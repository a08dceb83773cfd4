"""Issue 28 finding 1: a region's uploaded .docx template must never run code on the server. Each attack
the probe used is refused at upload, naming what it is, and a template stored before this check (or
slipped past it) renders in Jinja's immutable sandbox with no globals, so the attack fails there too."""
import io
import os

import pytest
from docx import Document

from agreements.rendering import TemplateProblem, render, variables

ATTACKS = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ institution.name.__class__.__mro__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ institution.name.upper() }}",
    "{% set x = institution %}{{ x.name }}",
    "{{ institution|attr('__class__') }}",
    "{% for c in range(3) %}{{ c }}{% endfor %}",
    "{% import 'os' as os %}",
    "{{ namespace(a=1) }}",
    "{{ institution.name|safe }}",
]


def docx(*paragraphs: str, header: str | None = None) -> bytes:
    document = Document()
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize("attack", ATTACKS)
def test_28_an_expression_that_is_not_plain_data_is_refused_at_upload_naming_it(attack):
    with pytest.raises(TemplateProblem) as refused:
        variables(docx("协议：{{ institution.name }}", attack))
    assert "不允许" in str(refused.value)


@pytest.mark.parametrize("attack", ATTACKS[:6])
def test_28_an_attack_in_a_header_is_refused_too(attack):
    with pytest.raises(TemplateProblem):
        variables(docx("{{ institution.name }}", header=attack))


@pytest.mark.parametrize("attack", ATTACKS[:5])
def test_28_a_stored_template_with_an_attack_renders_in_the_sandbox_and_runs_nothing(attack, tmp_path):
    """As if it had been stored before the upload check: rendering refuses, and no command ran."""
    marker = tmp_path / "pwned"
    payload = attack.replace("popen('id')", f"popen('touch {marker}')")
    with pytest.raises(TemplateProblem):
        render(docx(payload), {"institution": {"name": "A"}})
    with pytest.raises(TemplateProblem):
        render(docx("x", header=payload), {"institution": {"name": "A"}})
    assert not marker.exists() and not os.path.exists(marker)


def test_28_plain_variables_filters_conditions_and_loops_stay_allowed():
    template = docx("{{ institution.name|upper }} {{ amount|yuan }}",
                    "{% if rows %}{% for r in rows %}{{ loop.index }}：{{ r['name'] }}{% endfor %}{% endif %}")
    assert variables(template) == {"institution", "amount", "rows"}
    text = "\n".join(p.text for p in Document(io.BytesIO(render(template, {
        "institution": {"name": "a&b"}, "amount": 1234.5, "rows": [{"name": "甲"}]}))).paragraphs)
    assert "A&B 1,234.50" in text and "1：甲" in text


def test_28_a_regions_template_with_an_attack_is_refused_on_the_screen_and_nothing_is_stored(app, client):
    """The administrator's upload (the screen answers 400 naming the expression) stores nothing."""
    from sqlalchemy import func, select

    from prepay_admin.models import RegionTemplate
    from prepay_admin.services.demo import load_demo
    from tests.screens import csrf_token, sign_in

    sessions = app.extensions["prepay_sessions"]
    load_demo(sessions, institutions=6, seed=2026, year=2026, play=False)
    sign_in(client, "guanli1")
    response = client.post("/documents/320600/templates/agreement", data={
        "csrf_token": csrf_token(client, "/documents/320600"), "file": (io.BytesIO(docx(ATTACKS[0])), "agreement.docx")})
    assert response.status_code == 400 and "不允许" in response.get_data(as_text=True)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RegionTemplate)) == 0
