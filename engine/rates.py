"""The two rates everything agrees on; plain constants, so the add-on's UI can read them without numpy."""

SAMPLE_RATE = 16000  # Hz: the audio every stage works on
MODEL_FPS = 20  # frames per second of the model's windows, its audio and text features, and the synthesiser's output
