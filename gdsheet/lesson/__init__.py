"""The lesson: its options, presets and samples, the input to both the reference and the writer."""
