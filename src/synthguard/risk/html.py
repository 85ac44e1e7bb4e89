"""The risk report as one self-contained HTML page: risk bars with confidence intervals and DCR histograms.

Hand-written inline SVG: two simple charts do not justify a plotting dependency, and the page stays a
single file that opens anywhere (no scripts, no network).
"""

from __future__ import annotations

from html import escape
from typing import Any

from .report import RiskReport

_W, _ROW = 640, 26


def _risk_bars(attacks: tuple[dict[str, Any], ...]) -> str:
    left, width = 220, _W - 240
    height = _ROW * len(attacks) + 30
    parts = [f'<svg width="{_W}" height="{height}" role="img" aria-label="risk per attack">']
    for tick in range(0, 11, 2):
        x = left + width * tick / 10
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="{height - 5}" font-size="11" text-anchor="middle">{tick / 10:.1f}</text>')
    for i, a in enumerate(attacks):
        y = i * _ROW + 4
        low, high = a["ci"]
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" font-size="12" text-anchor="end">{escape(a["label"])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{width * a["risk"]:.1f}" height="14" fill="#c0392b">'
            f'<title>{escape(a["label"])}: {a["risk"]:.3f} [{low:.3f}, {high:.3f}]</title></rect>'
            f'<line x1="{left + width * low:.1f}" y1="{y + 10}" x2="{left + width * high:.1f}" y2="{y + 10}" '
            f'stroke="#222" stroke-width="2"/>'
            f'<line x1="{left + width * low:.1f}" y1="{y + 5}" x2="{left + width * low:.1f}" y2="{y + 15}" '
            f'stroke="#222"/>'
            f'<line x1="{left + width * high:.1f}" y1="{y + 5}" x2="{left + width * high:.1f}" y2="{y + 15}" '
            f'stroke="#222"/>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(hist: dict[str, Any]) -> str:
    edges = hist["edges"]
    series = [(k, c) for k, c in (("real", "#c0392b"), ("holdout", "#2980b9")) if k in hist]
    top = max(max(hist[k]) for k, _ in series) or 1
    height, left, width = 220, 40, _W - 60
    bins = len(edges) - 1
    bar = width / bins / len(series)
    parts = [f'<svg width="{_W}" height="{height + 40}" role="img" aria-label="DCR histogram">']
    for s, (key, colour) in enumerate(series):
        for b, count in enumerate(hist[key]):
            h = height * count / top
            x = left + width * b / bins + s * bar
            parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{key} [{edges[b]:.3f}, {edges[b + 1]:.3f}): {count}</title></rect>')
    for b in range(0, bins + 1, max(1, bins // 6)):
        x = left + width * b / bins
        parts.append(f'<text x="{x:.1f}" y="{height + 15}" font-size="11" text-anchor="middle">{edges[b]:.2f}</text>')
    legend = " ".join(f'<tspan fill="{c}">■ DCR to {k}</tspan>' for k, c in series)
    parts.append(f'<text x="{left}" y="{height + 34}" font-size="12">{legend}</text></svg>')
    return "".join(parts)


def render(report: RiskReport) -> str:
    rows = "".join(
        f"<tr><td>{escape(a['label'])}</td><td>{a['risk']:.3f}</td><td>{a['ci'][0]:.3f}–{a['ci'][1]:.3f}</td>"
        f"<td>{a['attack_rate'][0]:.3f}</td><td>{a['baseline_rate'][0]:.3f}</td>"
        f"<td>{'' if not a['control_rate'] else format(a['control_rate'][0], '.3f')}</td>"
        f"<td>{a['n_attacks']}</td></tr>" for a in report.attacks)
    d = report.distances
    dist = ""
    if d:
        closer = d.get("closer_to_real_share")
        dist = (f"<h2>Distances</h2><p>{escape(d['definition'])}. {d['records']} synthetic records; "
                f"identical to a real record: {d['identical_share']:.2%}; median DCR {d['dcr_real']['median']:.4f}; "
                f"median NNDR {d['nndr']['median']:.3f}"
                + (f"; closer to real than to holdout: {closer:.1%} (50% expected)" if closer is not None else "")
                + f".</p>{_histogram(d['histogram'])}")
    inputs = "".join(f"<li>{escape(role)}: {escape(i['path'])} ({i['rows']} rows, sha256 {i['sha256'][:16]}…)</li>"
                     for role, i in report.inputs.items())
    title = f"Re-identification risk{' of ' + escape(report.version) if report.version else ''}"
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
            "<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:56em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "td:first-child{text-align:left}</style>"
            f"<h1>{title}</h1><p>Created {escape(report.created_at)} in {report.seconds:.1f} s. "
            "Risk = (attack − control) / (1 − control) with 95% Wilson intervals, as Anonymeter defines it.</p>"
            f"<ul>{inputs}</ul><h2>Attacks</h2>{_risk_bars(report.attacks) if report.attacks else ''}"
            "<table><tr><th>attack</th><th>risk</th><th>CI</th><th>attack rate</th><th>baseline</th>"
            f"<th>control</th><th>attacks</th></tr>{rows}</table>{dist}</html>\n")
