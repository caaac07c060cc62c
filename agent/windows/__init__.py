"""The pygame windows a person uses (`drive`, `watch`, `data review`) and videos of a run."""
