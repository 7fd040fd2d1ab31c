"""`openhuman info MODEL`: a model file's metadata as JSON."""
import json

NAME = "info"
HELP = "Print a model file's metadata (architecture, emotions, feature specs, training) as JSON."


def add_arguments(p):
    p.add_argument("model", nargs="?", help="model file (default: the bundled model)")


def run(args) -> int:
    from ..engine.diffusion.modelfile import model_info
    from ..engine.constants import BUNDLED_MODEL

    print(json.dumps(model_info(args.model or BUNDLED_MODEL), indent=2))
    return 0
