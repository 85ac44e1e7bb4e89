"""The rewriter: fixes what the scanner finds, only by inserting (or replacing one attribute value),
idempotently, without script or style attributes; where it cannot, it says so and changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synthguard.disclosure import Declaration, RewriteOptions, rewrite_html, rewrite_page, scan_html

RULES = [Declaration(".ai-copy", "gpt-4o-mini", url_pattern="*", dataset="copy@2"),
         Declaration("img.ai-img", "sdxl 1.0", url_pattern="*", dataset="renders@1", kind="image"),
         Declaration(".ai-list, .ai-table, .ai-row, .ai-select", "recsys", url_pattern="*")]

TEXT = st.text(alphabet="abc XYZ é€&;<>=\"'/-", max_size=20).map(
    lambda t: t.replace("<", "< ").replace("&", "&amp;"))  # '<' followed by a space is text
VALUE = st.text(alphabet="ab <>&=/'-é", max_size=10).map(lambda t: t.replace('"', "").replace("&", "&amp;"))
FILLER = st.one_of(
    TEXT.map(lambda t: f"<p>{t}</p>"),
    TEXT.map(lambda t: f"<!-- {t.replace('-->', '')} <div class=\"ai-copy\">commented</div> -->"),
    TEXT.map(lambda t: f"<script>var t = '<div class=\"ai-copy\">{t.replace('</', '')}';</script>"),
    st.tuples(VALUE, TEXT).map(lambda v: f"<section data-note=\"{v[0]}\" title='>'><h2>{v[1]}</h2></section>"),
    st.just("<ul><li>one<li>two</ul>"),
    st.just("<img src=/logo.png alt=Logo>"),
    st.just("<br/>\n\r\n"),
    st.just("<textarea><span class=\"ai-copy\">raw</span></textarea>"),
)


@st.composite
def item(draw: st.DrawFn) -> str:
    attrs = draw(st.lists(st.tuples(st.sampled_from(["id", "data-x", "title", "lang"]), VALUE), max_size=2,
                          unique_by=lambda a: a[0]))
    rendered = "".join(f' {name}="{value}"' for name, value in attrs)
    quote = draw(st.sampled_from(['"', "'", ""]))
    if draw(st.booleans()):
        alt = draw(st.sampled_from(["Photo of a chair", "A chair", "photograph: lamp", ""]))
        closer = draw(st.sampled_from([">", "/>", " />"]))
        return f"<img class={quote}ai-img{quote}{rendered} src=/x.jpg alt=\"{alt}\"{closer}"
    text = draw(TEXT)
    tag = draw(st.sampled_from(["div", "p", "span", "li", "a", "button", "td"]))
    if tag == "li":
        return f"<ul><li class={quote}ai-copy{quote}{rendered}>{text}</li></ul>"
    if tag == "td":
        return f"<table><tr><td class={quote}ai-copy{quote}{rendered}>{text}</td></tr></table>"
    return f"<{tag} class={quote}ai-copy{quote}{rendered}>{text}</{tag}>"


@st.composite
def page(draw: st.DrawFn) -> tuple[bytes, int]:
    parts = draw(st.lists(st.one_of(FILLER, item()), min_size=1, max_size=12))
    body = "\n".join(parts)
    style = draw(st.sampled_from(["full", "no-head", "fragment", "cp1252"]))
    items = sum(1 for p in parts if ("ai-copy" in p and not p.startswith(("<!--", "<script", "<textarea")))
                or "ai-img" in p)
    if style == "full":
        head = "<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>t</title></head>\n"
        return f"{head}<body>{body}</body></html>".encode(), items
    if style == "no-head":
        return f"<!doctype html><body class=x>{body}".encode(), items
    if style == "cp1252":
        body = body.replace("€", "EUR")
        text = f"<!DOCTYPE html><html><head><meta charset=windows-1252></head><body>{body}</body></html>"
        return text.encode("cp1252"), items
    return body.encode(), items


def _apply(original: bytes, edits: tuple[tuple[int, int, bytes], ...]) -> bytes:
    out, position = [], 0
    for offset, removed, blob in edits:
        assert offset >= position
        out += [original[position:offset], blob]
        position = offset + removed
    return b"".join([*out, original[position:]])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page())
def test_rewrite_fixes_every_gap_by_insertion_only_and_is_idempotent(case: tuple[bytes, int]) -> None:
    original, items = case
    result = rewrite_page(original, RULES, url="/p")
    assert result.items == items
    # Items carry none of the disclosure attributes yet, so every edit is a pure insertion, except the
    # alt text of an image that claimed to be a photograph, which is replaced whole …
    for offset, removed, blob in result.edits:
        if removed:
            assert original[:offset].endswith(b"alt=") and blob.startswith(b'"AI-generated image: '), blob
    # … and the output is the original with exactly those insertions: every other byte is untouched.
    assert _apply(original, result.edits) == result.data
    for _, _, blob in result.edits:
        assert b"<script" not in blob.lower() and b"style=" not in blob.lower() and b"on" + b"click" not in blob
    after = scan_html(result.data, RULES, url="/p")
    assert after.gaps == (), [g.to_json() for g in after.gaps]
    assert rewrite_html(result.data, RULES, url="/p") == result.data


def test_existing_values_are_replaced_in_place() -> None:
    html = (b'<!doctype html><meta charset=utf-8><meta name="ai-generated-content" content="partial">'
            b"<p class=ai-copy data-synthetic=FALSE data-synthetic-generator='old' aria-describedby=note>x</p>"
            b'<p id=note>Shipping</p><img class="ai-img" data-synthetic alt="Photo &amp; more">')
    result = rewrite_page(html, RULES, url="/")
    assert b'data-synthetic="true" data-synthetic-generator="gpt-4o-mini"' in result.data
    assert b'aria-describedby="note sg-ai-label-' in result.data
    assert b'alt="AI-generated image: Photo &amp; more"' in result.data
    assert b'<img class="ai-img" data-synthetic="true"' in result.data
    assert scan_html(result.data, RULES).gaps == ()
    assert _apply(html, result.edits) == result.data


def test_labels_go_where_the_content_model_allows() -> None:
    html = (b"<!doctype html><body><ul class=ai-list><li>a</li></ul><table class=ai-table><tr><td>x</td></tr></table>"
            b"<select class=ai-select><option>o</option></select><img class=ai-img src=a.jpg alt=A>"
            b"<table><tr class=ai-row><td>r</td></tr></table></body>")
    result = rewrite_page(html, RULES)
    out = result.data
    assert b'<ul class=ai-list data-synthetic="true"' in out and b'><li class="sg-ai-label" id="sg-ai-label-' in out
    assert b'<caption class="sg-ai-label"' in out
    assert out.index(b'<span class="sg-ai-label"') < out.index(b"<select")  # before the select
    assert out.index(b"<img") < out.index(b">AI-generated image</span>")  # after the image
    assert any("<tr>" in note for note in result.notes)  # a row cannot carry a label: said, not forced
    report = scan_html(out, RULES)
    assert [(g.locator.split(" > ")[-1], g.check) for g in report.gaps] == [
        ("tr.ai-row", "visible-label"), ("tr.ai-row", "aria-describedby")]
    assert rewrite_html(out, RULES) == out


def test_an_unlabelled_existing_label_gets_an_id() -> None:
    html = (b'<!doctype html><meta name="ai-generated-content" content="partial"><div class=ai-copy '
            b"data-synthetic=true data-synthetic-generator=gpt-4o-mini data-synthetic-source=copy@2>"
            b"<em>AI-generated</em> text</div>")
    result = rewrite_page(html, RULES)
    assert result.fixed == {"aria-describedby": 1}
    assert b'<em id="sg-ai-label-' in result.data and b'aria-describedby="sg-ai-label-' in result.data


def test_page_marker_placement_and_fragments() -> None:
    full = rewrite_html(b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head>'
                        b"<body><p class=ai-copy>x</p></body></html>", RULES)
    assert full.startswith(b'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ai-generated-content"')
    bare = rewrite_html(b"<!doctype html>\n<p class=ai-copy>x</p>", RULES)
    assert bare.startswith(b'<!doctype html><meta name="ai-generated-content" content="partial">\n<p')
    fragment = rewrite_html(b"<div><p class=ai-copy>x</p></div>", RULES)
    assert b"<meta" not in fragment and b"data-synthetic" in fragment


def test_stylesheet_link_is_added_once_with_labels() -> None:
    html = b"<!doctype html><html><head></head><body><p class=ai-copy>x</p></body></html>"
    options = RewriteOptions(stylesheet="/_synthguard/disclosure.css")
    out = rewrite_html(html, RULES, options=options)
    assert out.count(b'<link rel="stylesheet" href="/_synthguard/disclosure.css">') == 1
    assert rewrite_html(out, RULES, options=options) == out


def test_pages_it_cannot_edit_are_returned_untouched_with_a_note() -> None:
    utf16 = "<!doctype html><p class=ai-copy>x</p>".encode("utf-16")
    result = rewrite_page(utf16, RULES)
    assert result.data is utf16 and "utf-16" in result.notes[0]
    big = b"<!doctype html><p class=ai-copy>x</p>" + b" " * 2000
    result = rewrite_page(big, RULES, options=RewriteOptions(max_bytes=1000))
    assert result.data is big and "larger than" in result.notes[0]
    nothing = b"<!doctype html><p>nothing declared here</p>"
    assert rewrite_page(nothing, [Declaration(".x", "g", url_pattern="/other/*")], url="/p").data is nothing


def test_a_page_using_the_position_attribute_name_is_still_mapped() -> None:
    html = b'<!doctype html><p data-sgpos="9" class=ai-copy>x</p><p data-sgposx=1>y</p>'
    out = rewrite_html(html, RULES)
    assert b'data-sgpos="9" class=ai-copy data-synthetic="true"' in out
    assert scan_html(out, RULES).gaps == ()
