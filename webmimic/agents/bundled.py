"""``bundled``: the fine-tuned shopper shipped with webmimic (package data, rebuilt by ``make model``).

A tiny Llama-style transformer and its tokenizer, trained from scratch with ``webmimic train
--preset tiny --rationales`` on the bundled (synthetic) training split: the model card in its
folder gives the command, the data, the hyperparameters and its figures. It loads like any
``hf:`` folder: safetensors only, no remote code.
"""

from __future__ import annotations

from pathlib import Path

from webmimic.core.errors import ModelFolderError

__all__ = ["BUNDLED_MODEL", "bundled_folder"]

BUNDLED_MODEL = Path(__file__).with_name("bundled_model")


def bundled_folder() -> Path:
    """The bundled model's folder; ModelFolderError if this checkout lacks it."""
    from webmimic.agents.hf import check_model_folder

    if not (BUNDLED_MODEL / "config.json").is_file():
        raise ModelFolderError(f"{BUNDLED_MODEL}: the bundled model is missing; rebuild it with `make model`.")
    return check_model_folder(BUNDLED_MODEL)
