"""Who drives: the scripted expert (pure pursuit), a person's controls and the scripted
person, and trained networks (.pt or .onnx)."""
