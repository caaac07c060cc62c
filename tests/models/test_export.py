"""Policies as ONNX: the graph holds the preprocessing, matches torch, and drives in eval."""

import json

import numpy as np
import pytest

from agent.drivers.spec import DriverSpec

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from agent.cli.export import real_frames  # noqa: E402
from agent.grade.evaluate import eval_tracks, evaluate, make_driver  # noqa: E402
from models import checkpoint  # noqa: E402
from models.export import ExportError, OnnxDriver, export_onnx  # noqa: E402
from sim.config import EnvConfig  # noqa: E402

CAMERA = "assets/models/camera.pt"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("onnx") / "camera.onnx"
    _, meta = checkpoint.load(CAMERA)
    report = export_onnx(CAMERA, out, real_frames(meta, 256))
    return out, report


def test_the_export_matches_torch_on_real_frames(exported):
    path, report = exported
    assert report["frames"] == 256 and report["max_abs_diff"] <= 1e-4 and report["inputs"] == ["camera"]
    runner = OnnxDriver(path)
    assert runner.meta["camera_arch"] == checkpoint.load(CAMERA)[1]["camera_arch"]  # the checkpoint's metadata travels
    frame = np.zeros((64, 64, 3), np.uint8)  # one raw observation, no batch axis
    assert runner.steering({"camera": frame}).shape == (1,)


def test_eval_with_the_onnx_policy_drives_as_the_checkpoint(exported):
    path, _ = exported
    config = EnvConfig()
    tracks = eval_tracks(3)
    a = evaluate(make_driver(DriverSpec.model(CAMERA), config), config, tracks, laps=1)
    b = evaluate(make_driver(DriverSpec.model(path), config), config, tracks, laps=1)
    keys = ("laps", "interventions", "completed")
    assert [{k: e.get(k) for k in keys} for e in a.episodes] == [{k: e.get(k) for k in keys} for e in b.episodes]
    assert abs(a.summary["mean_abs_offset_m"] - b.summary["mean_abs_offset_m"]) < 0.01


def test_files_that_are_not_drivelab_policies(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    plain = tmp_path / "plain.onnx"
    node = helper.make_node("Identity", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    onnx.save(helper.make_model(graph), plain)
    for path, words in (
        (tmp_path / "missing.onnx", "no such ONNX file"),
        (junk, "not an ONNX model"),
        (plain, "not a DriveLab policy"),
    ):
        with pytest.raises(ExportError, match=words) as e:
            OnnxDriver(path)
        assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_export_cli_and_eval_cli(tmp_path, capsys):
    import run_sim

    out = tmp_path / "s.onnx"
    assert run_sim.main(["export", "assets/models/sensors.pt", "--onnx", str(out), "--frames", "64"]) == 0
    assert "matches torch on 64 real frames" in capsys.readouterr().out
    report = tmp_path / "r.json"
    assert (
        run_sim.main(
            [
                "eval",
                "--model",
                str(out),
                "--tracks",
                "2",
                "--laps",
                "1",
                "--workers",
                "1",
                "--quiet",
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert json.loads(report.read_text())["summary"]["lap_completion_rate"] >= 0.5
    with pytest.raises(SystemExit) as e:  # refused where the flag enters, before any work
        run_sim.main(["export", "assets/models/sensors.pt", "--onnx", str(tmp_path / "x.txt")])
    assert e.value.code == 2 and not (tmp_path / "x.txt").exists()
