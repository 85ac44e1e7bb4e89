"""Sanity of the risk figures: more copied records → more risk; an identical copy → risk near 1;
awkward data (nulls, constant columns, unseen categories, unicode names) works."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from risk_tables import people, with_copies, write

from synthguard.risk import AttackOptions, RiskOptions, assess

# the store plays no part here: run once, in the SQLite pass of ``make test``
pytestmark = pytest.mark.skipif(bool(os.environ.get("SYNTHGUARD_TEST_DATABASE_URL")),
                                reason="store-independent; runs in the SQLite pass")

OPTIONS = RiskOptions(attack=AttackOptions(n_attacks=500, secrets=("plan",), max_attempts=200_000), seed=7)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pa.Table]:
    d = tmp_path_factory.mktemp("population")
    real = people(2000, seed=1)
    return write(d / "real.csv", real), write(d / "control.parquet", people(2000, seed=2)), real


def _risks(report_attacks: tuple[dict[str, Any], ...]) -> dict[str, float]:
    return {str(a["label"]): float(a["risk"]) for a in report_attacks}


def _halfwidths(report_attacks: tuple[dict[str, Any], ...]) -> dict[str, float]:
    return {str(a["label"]): (a["ci"][1] - a["ci"][0]) / 2 for a in report_attacks}


def test_risk_rises_with_copied_records(population: tuple[Path, Path, pa.Table], tmp_path: Path) -> None:
    real_path, control_path, real = population
    levels = [0.0, 0.1, 0.3, 0.5, 1.0]
    rows, noise = [], []
    for level in levels:
        syn = write(tmp_path / f"syn{int(level * 100)}.parquet", with_copies(real, level, seed=3))
        report = assess(real_path, syn, control_path, OPTIONS)
        risks = _risks(report.attacks)
        assert report.distances is not None
        rows.append(risks | {"identical": report.distances["identical_share"]})
        noise.append(_halfwidths(report.attacks) | {"identical": 0.0})
    for key in rows[0]:
        series = [r[key] for r in rows]
        # each step copies at least 10 % more records: no figure may fall by more than its sampling error
        slack = [n[key] for n in noise]
        assert all(b >= a - e for (a, b), e in zip(itertools.pairwise(series), slack, strict=False)), (key, series)
        assert series[-1] > series[2] > series[0], (key, series)
        if key != "singling_out.univariate":  # bounded by how many rare values exist (queries / n_attacks)
            assert series[-1] > series[0] + 0.5, (key, series)
    assert [round(r["identical"], 2) for r in rows] == levels


def test_identical_copy_gives_risk_near_one(population: tuple[Path, Path, pa.Table]) -> None:
    real_path, control_path, _ = population
    # each half of the linkability split must identify a record, or ties (not the copy) decide the links
    split = (("age", "income", "city"), ("score", "plan", "age"))
    options = RiskOptions(attack=AttackOptions(n_attacks=150, secrets=("plan", "city"), aux_cols=split), seed=7)
    report = assess(real_path, real_path, control_path, options)
    for label, value in _risks(report.attacks).items():
        assert value > 0.9, label
    assert report.distances is not None and report.distances["identical_share"] == 1.0


def test_awkward_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 400

    def table(seed: int, cities: list[str]) -> pa.Table:
        r = np.random.default_rng(seed)
        income = r.normal(100, 20, n)
        income[r.random(n) < 0.2] = np.nan  # nulls in a numeric column
        city = r.choice(cities, n).astype(object)
        city[r.random(n) < 0.1] = None  # and in a categorical one
        return pa.table({"Einkommen (€) ": pa.array(income, from_pandas=True), "ville d'été": city,
                         "constant": np.ones(n), "flag": r.random(n) < 0.5, "数": r.integers(0, 5, n)})

    real = write(tmp_path / "real.parquet", table(1, ["a", "b", "c"]))
    syn = write(tmp_path / "syn.parquet", table(2, ["a", "b", "d", "e"]))  # categories unseen in real
    control = write(tmp_path / "control.parquet", table(3, ["a", "b", "c"]))
    report = assess(real, syn, control, RiskOptions(
        attack=AttackOptions(n_attacks=200, secrets=("ville d'été", "数"),
                             aux_cols=(("Einkommen (€) ", "constant"), ("flag", "数")), max_attempts=50_000),
        seed=int(rng.integers(9))))
    labels = {a["label"] for a in report.attacks}
    assert labels == {"singling_out.univariate", "singling_out.multivariate", "linkability",
                      "inference[ville d'été]", "inference[数]"}
    for a in report.attacks:
        assert 0.0 <= a["ci"][0] <= a["risk"] <= a["ci"][1] <= 1.0
    assert report.distances is not None and 0.0 <= report.distances["dcr_real"]["median"] <= 1.0
