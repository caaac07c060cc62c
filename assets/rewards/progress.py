"""The default reward: metres gained along the track, and a penalty for leaving it.

What `rl` learns from unless told otherwise. The car earns exactly the distance it drives
forward along the road each step (about 0.4 m at the 12 m/s cruise), loses it when it goes
back, and pays 10 when it leaves the road or hits an obstacle (the episode ends then).
"""


def reward(params):
    if params["is_offtrack"] or params["is_crashed"]:
        return -10.0
    return params["progress_delta_m"]
