"""The command line: one module per command, each `add_arguments(parser)` beside `run(args)`."""
