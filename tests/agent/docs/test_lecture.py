import csv

from agent.docs.lecture import KNOBS, MLP_SWEEP, Lecture


def test_quick_lecture_produces_its_tables_and_figures(tmp_path):
    results = Lecture(tmp_path, quick=True, log=lambda *a: None).run()
    knobs = list(csv.DictReader(open(tmp_path / "knobs.csv")))
    assert [r["name"] for r in knobs] == [name for name, _ in KNOBS]
    for col in ("parameters", "train_s", "val_steer_error", "lap_completion", "autonomy_pct"):
        assert all(r[col] != "" for r in knobs)
    assert len({r["parameters"] for r in knobs}) > 8  # the knobs really change the network
    assert len(results["mlp"]) == len(MLP_SWEEP) and int(results["mlp"][0]["parameters"]) < int(
        results["mlp"][-1]["parameters"]
    )
    assert [r["name"] for r in results["recovery"]][0].startswith("plain")
    for png in (
        "optimizers",
        "filters_before",
        "filters_after",
        "feature_maps",
        "x_filter_response",
        "pool_before",
        "pool_after",
    ):
        assert (tmp_path / f"{png}.png").stat().st_size > 500
