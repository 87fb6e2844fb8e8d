"""The commands: build, run/reset and check, on top of the lesson, the writer and the engine."""
