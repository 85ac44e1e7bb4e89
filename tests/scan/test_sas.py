"""SAS token parsing: property tests over generated tokens in many surroundings (URL, connection string,
JSON, XML-escaped), and the fixed facts of the format (spr default, account SAS, placeholders)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from synthguard.scan.sas import find_tokens, parse_time

_perms = st.text(alphabet="racwdxyltfmeopi", min_size=1, max_size=8)
_times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC))
_sig = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=32, max_size=44)


@st.composite
def tokens(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    params = {"sv": "2022-11-02", "sp": draw(_perms),
              "se": draw(_times).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if draw(st.booleans()):
        params["spr"] = draw(st.sampled_from(["https", "https,http"]))
    if draw(st.booleans()):
        params["sip"] = "10.1.0.0-10.1.255.255"
    if draw(st.booleans()):
        params.update(ss="bfqt", srt="sco")
    else:
        params["sr"] = draw(st.sampled_from(["b", "c"]))
    order = draw(st.permutations(list(params)))
    query = "&".join(f"{k}={params[k]}" for k in order) + f"&sig={draw(_sig)}%3D"
    return query, params


_WRAPPERS = [
    lambda q: f"https://acct.blob.core.windows.net/c/b.csv?{q}",
    lambda q: f'url = "https://acct.blob.core.windows.net/c?{q}"',
    lambda q: f"BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature={q};",
    lambda q: json.dumps({"value": f"https://acct.blob.core.windows.net/c?{q}"}),
    lambda q: f"<add key='u' value='https://a.blob.core.windows.net/c?{q.replace('&', '&amp;')}' />",
    lambda q: f"export SAS='{q}'",
]


@settings(max_examples=150, deadline=None)
@given(tokens(), st.sampled_from(range(len(_WRAPPERS))), st.integers(0, 5))
def test_tokens_are_found_and_parsed_in_any_surrounding(token: tuple[str, dict[str, str]], wrapper: int,
                                                         blank_lines: int) -> None:
    query, params = token
    text = "# config\n" + "\n" * blank_lines + _WRAPPERS[wrapper](query) + "\nnext = 1\n"
    found = list(find_tokens(text, "f"))
    assert len(found) == 1
    sas = found[0]
    assert sas.line == 2 + blank_lines
    assert dict(sas.params) == params
    assert sas.has_signature and "sig=REDACTED" in sas.redacted and query.split("sig=")[1] not in sas.redacted
    assert sas.account_level == ("ss" in params)
    assert sas.http_allowed == (params.get("spr", "https,http") == "https,http")
    assert sas.expiry() == parse_time(params["se"])


def test_placeholders_are_not_signatures() -> None:
    for sig in ("<signature>", "...", "xxxxxxxx", "${SAS_SIG}", "{sig}"):
        (token,) = find_tokens(f"https://a.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig={sig}", "f")
        assert not token.has_signature


def test_text_without_a_sas_yields_nothing() -> None:
    assert list(find_tokens("a=1&b=2&c=3 and sv=2022 alone", "f")) == []
    assert list(find_tokens("https://example.com/?page=2&sort=asc&sv=1", "f")) == []


def test_time_formats() -> None:
    assert parse_time("2030-01-01") == datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_time("2030-01-01T10%3A00%3A00Z") == datetime(2030, 1, 1, 10, tzinfo=UTC)
    assert parse_time("2030-01-01T10:00:00.1234567Z") == datetime(2030, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert parse_time("soon") is None
