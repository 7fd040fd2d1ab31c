"""Speech in: audio files, speech activity, recognition and alignment, letter-to-sound, transcripts, words."""
