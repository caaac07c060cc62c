"""AWS DeepRacer's object-avoidance example, for DriveLab: progress, and room beside the next obstacle.

The default reward (progress.py) pays the metres gained and says nothing about obstacles
until the car hits one. Then the episode ends, and the car has to work out which of its
last hundred steering choices did it. Cars that learn from progress alone at `cones` often
settle on one edge of the road. That half the obstacles never touch, and the other half
they hit on every lap.

This reward tells the car earlier. Once the next obstacle is less than LOOK_M ahead, each
metre gained pays only as much as the car's sideways distance from that obstacle's centre
allows, up to ROOM_M: a parked car is 2 m wide and the car 1.8 m, so 2.5 m clears it with
room to spare. DeepRacer's example asks whether the car and the object are on the same
half of the road (`objects_left_of_center`, `is_left_of_center`). This one measures the
distance, so that moving over pays a little at every step.
"""

LOOK_M = 40.0  # the next obstacle counts from this far ahead [m] (3 s at cruise)
ROOM_M = 2.5  # sideways distance between the centres that is enough [m]


def reward(params):
    if params["is_offtrack"] or params["is_crashed"]:
        return -10.0
    gained = params["progress_delta_m"]
    if gained > 0 and params["next_object_m"] < LOOK_M:
        ahead = params["closest_objects"][1]
        apart = abs(params["lateral_offset_m"] - params["objects_offset_m"][ahead])
        gained *= min(1.0, apart / ROOM_M)
    return gained
