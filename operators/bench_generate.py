"""Benchmark helper: Blender's Generate on one clip, timed stage by stage (run in its own process by
training/bench_end_to_end.py): import, add-on, armature, Generate (synchronous headless), save, then
Generate again with another emotion in the same Blender (the words from the .blend, the model loaded).

    python -m openhuman.operators.bench_generate CLIP METHOD OUT.blend MODEL TIMINGS.json
"""
import json
import sys
import time


def main(clip: str, method: str, blend: str, model: str, timings: str) -> None:
    t0 = time.perf_counter()
    import bpy

    bpy.ops.preferences.addon_enable(module="openhuman")
    bpy.ops.openhuman.create_armature()
    s = bpy.context.scene.openhuman
    s.audio_path, s.method, s.emotion_a = clip, method.upper(), "Neutral"
    if model:
        bpy.context.preferences.addons["openhuman"].preferences.model_path = model
    t1 = time.perf_counter()
    bpy.ops.openhuman.generate()
    t2 = time.perf_counter()
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    t3 = time.perf_counter()
    words = s.words_summary
    s.emotion_a = "Sad"
    bpy.ops.openhuman.generate()
    t4 = time.perf_counter()
    with open(timings, "w") as fh:
        json.dump({"start-up": round(t1 - t0, 3), "generate": round(t2 - t1, 3), "saving": round(t3 - t2, 3),
                   "total": round(t3 - t0, 3), "generate again, another emotion": round(t4 - t3, 3),
                   "words again": s.words_summary}, fh)
    print(words)  # last: the benchmark reads the first Generate's words from the last line


if __name__ == "__main__":
    main(*sys.argv[1:6])
