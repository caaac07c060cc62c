import pytest
import torch

from models.nets import PRESETS, DrivingNet, SpecError, parse


@pytest.mark.parametrize(
    "arch",
    [
        "pilotnet",
        "tiny",
        "alvinn",
        "conv(4,3) relu pool(2) conv(8,3,2) relu fc(16) relu",
        "conv(6,5) norm relu pool(3,2) dropout(0.1) fc(8) tanh",
    ],
)
@pytest.mark.parametrize("head", ["regression", "classification"])
def test_camera_specs_build_report_and_run(arch, head):
    net = DrivingNet({"camera": (3, 42, 64)}, arch, None, head, bins=15)
    out = net(camera=torch.rand(4, 3, 42, 64) - 0.5)
    assert out.shape == ((4,) if head == "regression" else (4, 15))
    steer = net.steering(out)
    assert steer.shape == (4,) and steer.abs().max() <= 1
    text = net.summary()
    assert "total" in text and str(sum(p.numel() for p in net.parameters())).replace("", "")[:2] in text.replace(
        ",", ""
    )
    assert net.report[-1][1] == ((1,) if head == "regression" else (15,))


def test_mlp_and_fusion():
    mlp = DrivingNet({"sensors": (10,)}, None, "mlp")
    assert mlp(sensors=torch.rand(3, 10)).shape == (3,)
    both = DrivingNet({"camera": (3, 42, 64), "sensors": (10,)}, "pilotnet", "mlp")
    assert both(camera=torch.rand(2, 3, 42, 64), sensors=torch.rand(2, 10)).shape == (2,)
    assert any(d.startswith("joint: fc(100)") for d, _, _ in both.report)


def test_output_shapes_follow_the_knobs():
    net = DrivingNet({"camera": (3, 40, 64)}, "conv(8,5,2) relu pool(2,2) conv(16,3) pool(3,2)", None)
    shapes = [s for _, s, _ in net.report]
    assert shapes[0] == (8, 18, 30)  # (40-5)//2+1, (64-5)//2+1
    assert shapes[2] == (8, 9, 15)  # 2x2 max pooling, stride 2
    assert shapes[3] == (16, 7, 13)
    assert shapes[4] == (16, 3, 6)  # window 3, stride 2


@pytest.mark.parametrize(
    "spec, msg",
    [
        ("conv(8) relu", "takes 2-3 arguments"),
        ("convolve(8,3)", "unknown"),
        ("conv(8,99) relu", "do not fit"),
        ("fc(10) conv(4,3)", "needs an image"),
        ("conv(8,3.5)", "positive whole numbers"),
        ("", "empty spec"),
        ("dropout(1.5)", "probability"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, msg):
    with pytest.raises(SpecError, match=msg):
        DrivingNet({"camera": (3, 42, 64)}, spec, None)


def test_lecture_x_filter_gives_exactly_one_on_the_matching_patch():
    """The lecture's filtering: multiply, add, divide by the pixel count."""
    x_feature = torch.tensor([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], dtype=torch.float32)
    conv = torch.nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        conv.weight[:] = x_feature / 9
    image = -torch.ones(1, 1, 7, 7)
    image[0, 0, 2:5, 2:5] = x_feature  # an X of +1 pixels on a -1 background
    response = conv(image)[0, 0]
    assert response[2, 2].item() == pytest.approx(1.0, abs=1e-6)  # perfect match
    assert (response.flatten().sort().values[:-1] < 1.0).all()  # everywhere else less


def test_presets_are_parseable():
    for name in PRESETS:
        assert parse(name)
