"""AWS DeepRacer's first example, for DriveLab: follow the centre line.

Three bands either side of the centre line, each worth less than the one inside it. The
car is paid for where it is, not for getting anywhere: driving slowly, or backwards along
the centre line, pays as well (try it, then compare with progress.py).
"""


def reward(params):
    track_width = params["track_width"]
    distance_from_center = params["distance_from_center"]

    marker_1 = 0.1 * track_width
    marker_2 = 0.25 * track_width
    marker_3 = 0.5 * track_width

    if distance_from_center <= marker_1:
        return 1.0
    if distance_from_center <= marker_2:
        return 0.5
    if distance_from_center <= marker_3:
        return 0.1
    return 1e-3  # likely off the road
