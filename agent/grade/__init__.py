"""How driving is graded: evaluation on unseen tracks, class races, and the writer of results people read."""
