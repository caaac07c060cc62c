"""The window's picture: a chase view that looks far down the road, with the car, the
obstacles and the rays in it, and a map of the whole track with the car's heading."""

import numpy as np

from agent.drivers.expert import ExpertDriver
from sim.chase import CHASE, ChaseView
from sim.env import DrivingEnv, resolve_track
from sim.raster import ASPHALT, GRASS
from sim.render import BG, CAR, CHASE_H, MINIMAP_PX, RAY, VIEW_PX

OVAL = "assets/tracks/oval.json"


def _near(img, colour, tol=40):
    return np.abs(img.astype(int) - np.asarray(colour, dtype=int)).sum(-1) < tol


def test_the_chase_view_shows_the_road_40_m_ahead_and_the_car():
    track = resolve_track(OVAL)
    straight = np.abs(track.curvature) < 1e-6
    i = next(i for i in range(track.n) if straight[i : i + 60].all())  # the start of the oval's long straight
    x, y = track.centerline[i]
    heading = float(track.heading[i])
    view = ChaseView()
    img = view.frame(track, x, y, heading)
    assert img.shape == (CHASE.height_px, CHASE.width_px, 3) and view.ahead_m() >= 40
    for ahead in (10.0, 25.0, 40.0):  # the centre of the road straight ahead is asphalt (or its centre line)
        col, row = view.project(ahead, 0.0)
        left_edge = view.project(ahead, track.width_m / 2 + 3.0)  # grass beyond the left edge
        assert 0 <= row < CHASE.height_px and 0 <= left_edge[0]
        patch = img[int(row) - 1 : int(row) + 2, int(col) - 6 : int(col) + 7]
        assert not _near(patch, GRASS, 60).any()
        assert _near(img[int(left_edge[1]), int(left_edge[0]) - 2 : int(left_edge[0]) + 3], GRASS, 120).all()
    col, row = view.project(0.0, 0.0)  # the car stands where it is: its body covers its own ground
    assert _near(img[int(row) - 12 : int(row), int(col) - 10 : int(col) + 10], ASPHALT, 30).mean() < 0.2


def test_the_chase_view_fades_far_ground_into_the_horizon_without_streaks():
    track = resolve_track(OVAL)
    i = int(np.argmax(np.abs(track.curvature)))  # in a curve: road and grass both reach the horizon
    view = ChaseView()
    img = view.frame(track, *track.centerline[i], float(track.heading[i])).astype(int)
    sky_rows = view._lens.sky.shape[1] // CHASE.width_px
    horizon = img[sky_rows - 1, CHASE.width_px // 2]  # the sky's colour just above the ground
    far = view.project(CHASE.max_distance_m - CHASE.forward_m, 0.0)[1]  # ground max_distance_m away
    band = img[sky_rows : int(far) - 1]  # ground seen further than that: once a row of vertical streaks
    assert len(band) >= 5 and np.abs(band - horizon).max() <= 2
    near = img[int(view.project(30.0, 0.0)[1])]  # 30 m ahead: the road and its lines, no haze
    assert np.abs(near - horizon).sum(-1).min() > 60


def test_the_chase_view_draws_the_obstacles_ahead():
    env = DrivingEnv(level="cones", observation="sensors")
    env.reset(seed=1)
    track = env.unwrapped.world.tracks[0]
    cone = track.obstacles[0]
    (x, y), h = track.point_at(cone.s_m - 20.0), float(track.heading_at(cone.s_m - 20.0))  # 20 m before the first cone
    img = ChaseView().frame(track, x, y, h)
    orange = (img[..., 0] > 200) & (img[..., 1] > 80) & (img[..., 1] < 140) & (img[..., 2] < 60)
    assert orange.sum() > 20
    env.close()


def test_the_window_shows_the_chase_view_map_and_rays():
    env = DrivingEnv(render_mode="rgb_array", level="weather", observation="both")
    obs, _ = env.reset(seed=5)
    driver = ExpertDriver(env)
    for k in range(300):
        obs, *_ = env.step(driver.act(obs))
        if k % 100 == 99:
            img = env.render().astype(int)
            view = img[:CHASE_H, :VIEW_PX]
            assert (np.abs(view - np.array(BG)).sum(-1) > 30).mean() > 0.99  # the view fills its area
            assert _near(view, RAY, 30).sum() > 100  # the sensor rays on the road
            minimap = img[CHASE_H:, :MINIMAP_PX]
            assert _near(minimap, CAR).sum() > 15  # the car on the map, as an arrow
    env.close()
