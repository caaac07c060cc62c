"""AWS DeepRacer's third example, for DriveLab: follow the centre line without zig-zagging.

The centre-line bands of center_line.py, with a fifth taken off whenever the wheels are
turned further than 15 degrees (DriveLab's lock is 30), so a smooth line pays more than
a weaving one. Compare the steering jerk `eval` reports with center_line.py's.
"""

ABS_STEERING_THRESHOLD = 15.0  # [degrees]


def reward(params):
    distance_from_center = params["distance_from_center"]
    track_width = params["track_width"]
    abs_steering = abs(params["steering_angle"])

    marker_1 = 0.1 * track_width
    marker_2 = 0.25 * track_width
    marker_3 = 0.5 * track_width
    if distance_from_center <= marker_1:
        reward = 1.0
    elif distance_from_center <= marker_2:
        reward = 0.5
    elif distance_from_center <= marker_3:
        reward = 0.1
    else:
        reward = 1e-3  # likely off the road

    if abs_steering > ABS_STEERING_THRESHOLD:
        reward *= 0.8
    return float(reward)
