"""AWS DeepRacer's second example, for DriveLab: stay inside the two borders.

Every step with all wheels on the road and at least 5 cm to spare pays 1; anything else
almost nothing. It says nothing about where on the road to drive, so the car learns to
survive rather than to drive well: compare its offset with center_line.py's.
"""


def reward(params):
    all_wheels_on_track = params["all_wheels_on_track"]
    distance_from_center = params["distance_from_center"]
    track_width = params["track_width"]

    if all_wheels_on_track and (0.5 * track_width - distance_from_center) >= 0.05:
        return 1.0
    return 1e-3
