"""engagement.churn_model (engagement-churn-fit): the fit folded back to the raw feature scale,
its determinism, the feature list read from the dbt macro, and the seed files it writes.
No warehouse: the sample is made up here (the SQL that feeds the fit has dbt unit tests)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from engagement import churn_model as cm


def _sample(seed: int = 0, n: int = 2000) -> cm.TrainingSample:
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.normal(3, 2, n), rng.integers(0, 8, n), np.full(n, 5.0)])  # last one constant
    logit = -1 + 0.8 * x[:, 0] - 0.5 * x[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return cm.TrainingSample(["feature_a", "feature_b", "feature_constant"], x, y, "2026-01-01", "2026-01-31")


def test_raw_scale_coefficients_reproduce_the_standardised_fit() -> None:
    sample = _sample()
    model = cm.fit(sample)
    raw = model.intercept + sample.x @ np.array([model.coefficients[f] for f in sample.features])
    scaler = StandardScaler().fit(sample.x[:, :2])
    reference = LogisticRegression(C=cm.REGULARISATION_C, max_iter=2000).fit(scaler.transform(sample.x[:, :2]), sample.y)
    assert np.allclose(raw, reference.decision_function(scaler.transform(sample.x[:, :2])), atol=1e-6)
    assert model.coefficients["feature_constant"] == 0.0
    assert 0.5 < model.coefficients["feature_a"] < 1.1 and -0.7 < model.coefficients["feature_b"] < -0.3


def test_fit_is_deterministic_and_seed_files_are_byte_identical(tmp_path: Path) -> None:
    arguments = {"users": 10, "days": 31, "start_date": "2026-01-01", "seed": 5, "faults": "none", "history_days": 0}
    outputs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        cm.write_seeds(folder, cm.fit(_sample()), _sample(), 14, arguments, "observed_or_truth")
        outputs.append([(folder / name).read_bytes() for name in (cm.COEFFICIENTS_FILE, cm.TRAINING_FILE)])
    assert outputs[0] == outputs[1]
    with (tmp_path / "a" / cm.COEFFICIENTS_FILE).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["feature"] for r in rows] == ["intercept", "feature_a", "feature_b", "feature_constant"]
    with (tmp_path / "a" / cm.TRAINING_FILE).open() as handle:
        training = next(csv.DictReader(handle))
    assert training["generator_seed"] == "5" and training["training_label"] == "observed_or_truth"
    assert "--seed 5" in training["data_set"]


def test_feature_list_comes_from_the_dbt_macro_and_matches_the_committed_seed() -> None:
    features = cm.feature_names()
    assert features[0] == "feature_log_recency" and len(features) == len(set(features))
    with (cm.PROJECT_DIR / "seeds" / cm.COEFFICIENTS_FILE).open() as handle:
        seeded = [row["feature"] for row in csv.DictReader(handle)]
    assert seeded == ["intercept", *features]


def test_bad_input_is_one_line(tmp_path: Path, capsys) -> None:
    assert cm.main(["--duckdb-path", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.strip() == f"engagement-churn-fit: error: warehouse not found: {tmp_path / 'none.duckdb'}"
