"""The window's picture: the map fills its area (no letterbox bands) and follows the car."""

import numpy as np

from agent.expert import ExpertDriver
from sim.env import DrivingEnv
from sim.render import BG, CAR, MAP_PX


def test_map_fills_its_area_and_keeps_the_car_in_view():
    env = DrivingEnv(render_mode="rgb_array", level="weather")
    obs, _ = env.reset(seed=5)  # a track twice as tall as it is wide
    driver = ExpertDriver(env)
    pans = set()
    for k in range(600):
        obs, *_ = env.step(driver.act(obs))
        if k % 100 == 99:
            img = env.render().astype(int)
            area = img[:, :MAP_PX]
            assert (np.abs(area - np.array(BG)).sum(-1) > 30).mean() > 0.995  # no empty band
            car = (np.abs(area - np.array(CAR)).sum(-1) < 40)
            assert car.sum() > 10  # the car is drawn inside the map's area
            pans.add(env.renderer._pan)
    assert len(pans) > 1  # the view panned along the track to keep the car in it
    env.close()
