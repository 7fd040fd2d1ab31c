"""A model between a parent and its fine-tuned child: weights (1 − w)·parent + w·child.

Fine-tuning moves some behaviours further than wanted (stage 6 made Angry angrier but Sad less sad);
a point on the straight line between the two files keeps part of each change. Both must share the
architecture, the emotions, the features and the normalisation (a fine-tune made with ``init_from``
keeps its parent's), so that the same weight means the same thing in both.

    python -m openhuman.training.interpolate PARENT CHILD --weight 0.5 --out FILE
"""
from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import torch

from ..engine.diffusion.modelfile import LoadedModel, load_model_file, save_model_file_like
from ..engine.errors import OpenHumanError

SHARED = ("architecture", "emotions", "fps", "audio_features", "text_features", "skeleton")


def interpolate_models(parent: LoadedModel, child: LoadedModel, weight: float) -> torch.nn.Module:
    """The parent's network with weights (1 − weight)·parent + weight·child."""
    if not 0.0 <= weight <= 1.0:
        raise OpenHumanError(f"weight must be between 0 (the parent) and 1 (the child), got {weight}")
    differ = [key for key in SHARED if parent.metadata.get(key) != child.metadata.get(key)]
    if differ:
        raise OpenHumanError(f"the two models differ in {', '.join(differ)}: only a model and its fine-tuned "
                             "child can be interpolated")
    if not (np.array_equal(parent.mean, child.mean) and np.array_equal(parent.std, child.std)):
        raise OpenHumanError("the two models normalise motion differently: fine-tune the child with init_from "
                             "(which keeps the parent's normalisation)")
    if parent.metadata.get("distilled") or child.metadata.get("distilled"):
        raise OpenHumanError("a distilled model samples on its own grid: interpolate full models only")
    model = copy.deepcopy(parent.model)
    child_weights = child.model.state_dict()
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if value.is_floating_point():
                value.lerp_(child_weights[name].to(value), weight)
    return model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("parent", help="the model fine-tuned from")
    p.add_argument("child", help="the fine-tuned model")
    p.add_argument("--weight", type=float, required=True, help="0: the parent, 1: the child")
    p.add_argument("--out", required=True, help="model file to write")
    args = p.parse_args(argv)
    parent, child = load_model_file(args.parent), load_model_file(args.child)
    model = interpolate_models(parent, child, args.weight)
    meta = parent.metadata
    # the child's record (which holds its parent's under init_from) with the mix on top, so that the
    # file reads as its last training run and says which two weights were mixed
    training = dict(child.metadata.get("training", {}),
                    interpolated={"weight": args.weight,
                                  "parent": {"file": Path(args.parent).name, "weights_sha256": meta["weights_sha256"]},
                                  "child": {"file": Path(args.child).name,
                                            "weights_sha256": child.metadata["weights_sha256"]}})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    save_model_file_like(args.out, model, parent, training=training)
    print(f"wrote {args.out}: {1 - args.weight:g} × {args.parent} + {args.weight:g} × {args.child}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
