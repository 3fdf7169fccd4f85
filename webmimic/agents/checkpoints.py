"""Where training writes (``OUT/checkpoints`` and the saved model), and what a full disk does to it.

torch and safetensors report a full disk as their own ``RuntimeError``/``SafetensorError`` with
nothing but a message, so a full disk cannot be recognized from their errors. Room is checked
before each write instead: before each checkpoint, the size of the last one (or an estimate from
the parameters) must be free; before the final save, the model's size. A shortfall is a
``DiskFullError`` raised before a byte is written. Whatever still goes wrong part-way leaves a
checkpoint without its ``trainer_state.json`` (the trainer writes it last), which is removed
before resuming, or a temporary folder that is removed, never a half-written model.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path
import shutil
import tempfile
from typing import Any

from webmimic.core.errors import DiskFullError, ModelFolderError
from webmimic.core.files import atomic_write, disk_full_error, is_disk_full

__all__ = ["checkpoints_to_resume", "fit", "save_model_folder"]

log = logging.getLogger(__name__)

SLACK_BYTES = 16 * 2**20  # tokenizer, configs, trainer state, the file system's own overhead


def checkpoints_to_resume(out: Path, resume: bool) -> str | None:
    """The newest complete checkpoint in ``out`` to resume from (None: start afresh).

    An earlier run's checkpoints without ``resume`` are refused. Incomplete checkpoints (a full
    disk or a killed run left them half-written; this command wrote them) are removed, so that
    resuming never loads one.
    """
    if any((out / "checkpoints").glob("checkpoint-*")) and not resume:
        raise ModelFolderError(
            f"{out / 'checkpoints'} holds an earlier run's checkpoints: pass --resume or another --out."
        )
    return _last_complete_checkpoint(out)


def _last_complete_checkpoint(out: Path) -> str | None:
    folders = sorted((out / "checkpoints").glob("checkpoint-*"), key=_step_of)
    complete = [folder for folder in folders if _complete(folder)]
    for folder in folders:
        if folder not in complete:
            log.warning("Removing %s: an incomplete checkpoint (no readable trainer_state.json).", folder)
            shutil.rmtree(folder)
    return str(complete[-1]) if complete else None


def _step_of(folder: Path) -> int:
    suffix = folder.name.rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def _complete(folder: Path) -> bool:
    try:
        json.loads((folder / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return True


def _parameter_bytes(model: Any, trainable_only: bool = False) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad or not trainable_only)


def _folder_bytes(folder: str) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def _need_room(folder: Path, needed: int, what: str, kept: str) -> None:
    """A ``DiskFullError`` now, before writing, when ``folder``'s disk has less than ``needed`` free."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        short = f"{what} needs about {needed / 2**20:.0f} MB, {free / 2**20:.0f} MB are free. {kept}"
        raise disk_full_error(folder, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), short)


def _room_for_checkpoints(out: Path) -> Any:
    """A trainer callback that checks the room for each checkpoint before the trainer writes it."""
    from transformers import TrainerCallback

    class RoomForCheckpoints(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
            if not control.should_save:
                return
            last = _last_complete_checkpoint(out)
            # a checkpoint holds the weights and the optimizer's two moments of each trainable one
            needed = _folder_bytes(last) if last else _parameter_bytes(model) + 2 * _parameter_bytes(model, True)
            folder = out / "checkpoints"
            folder.mkdir(parents=True, exist_ok=True)
            kept = f"Training stopped at step {state.global_step}: " + (
                f"{last} (the last complete checkpoint) is intact; --resume goes on from there."
                if last
                else "no checkpoint was written yet; --resume starts again from the saved examples."
            )
            _need_room(folder, needed + SLACK_BYTES, f"checkpoint-{state.global_step}", kept)

    return RoomForCheckpoints()


def fit(trainer: Any, resume_from: str | None, out: Path) -> None:
    """``trainer.train()``, checking before each checkpoint that the disk has room for it."""
    trainer.add_callback(_room_for_checkpoints(out))
    trainer.train(resume_from_checkpoint=resume_from)


def save_model_folder(model: Any, tokenizer: Any, out: Path, agent: dict[str, Any], agent_file: str) -> None:
    """``model`` and ``tokenizer`` (and ``agent`` as ``agent_file``) into ``out``, for ``hf:OUT``.

    Written into a temporary folder beside them and moved in only once every file is written:
    a failure leaves ``out``'s earlier files as they were."""
    kept = "The checkpoints are intact: free some space and run again with --resume to save the model."
    _need_room(out, _parameter_bytes(model) + SLACK_BYTES, "Saving the trained model", kept)
    try:
        with tempfile.TemporaryDirectory(dir=out, prefix=".saving-") as saving:
            model.save_pretrained(saving)
            tokenizer.save_pretrained(saving)
            atomic_write(Path(saving) / agent_file, json.dumps(agent, indent=2) + "\n")
            for written in Path(saving).iterdir():
                os.replace(written, out / written.name)
    except OSError as err:  # a full disk met anyway: the space was taken meanwhile
        if is_disk_full(err) and not isinstance(err, DiskFullError):
            raise disk_full_error(out, err, kept) from err
        raise
