"""`openhuman train`: train a model on a dataset folder (see training/train.py)."""
import json

NAME = "train"
HELP = "Train an OHGesture model on a dataset folder; resumes from the output folder's checkpoint."


def add_arguments(p):
    p.add_argument("--data", help="dataset folder (from `openhuman data synth` or `openhuman data zeggs`)")
    p.add_argument("--out", help="output folder: checkpoint.pt, log.csv, model.safetensors")
    p.add_argument("--config", help="training settings (.json or .toml); options below override it")
    p.add_argument("--steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate (default 3e-5, as in the method)")
    p.add_argument("--device", help="auto, cpu, cuda")
    p.add_argument("--seed", type=int)
    p.add_argument("--architecture", help='JSON overrides, e.g. \'{"latent": 256, "layers": 4}\'')
    p.add_argument("--init-from", help="start from this model file's weights (fine-tuning, e.g. the bundled model)")
    p.add_argument("--no-resume", action="store_true", help="start over even if a checkpoint exists")
    p.add_argument("--max-minutes", type=float, help="stop (with a checkpoint and a model file) after this long")


def run(args) -> int:
    from ..engine.errors import OpenHumanError
    from ..training.train import TrainConfig, train

    cfg = TrainConfig.load(args.config) if args.config else TrainConfig()
    for name in ("data", "out", "steps", "batch_size", "lr", "device", "seed", "init_from"):
        value = getattr(args, name)
        if value is not None:
            setattr(cfg, name, value)
    if args.architecture:
        cfg.architecture = {**cfg.architecture, **json.loads(args.architecture)}
    if not cfg.data:
        raise OpenHumanError("say which dataset to train on: --data DIR (or 'data' in --config)")
    path = train(cfg, resume=not args.no_resume, max_wall_s=args.max_minutes * 60 if args.max_minutes else None)
    print(f"model written to {path}")
    return 0
