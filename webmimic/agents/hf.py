"""``hf:PATH``: a transformers causal LM from a local folder, as a shopper in the live browser.

The folder is checked before anything is loaded: weights must be safetensors (pickle weights are
refused: loading them can run code), and the tokenizer and its chat template must be there. It
loads with ``use_safetensors=True``, never ``trust_remote_code``, and only from local files.

Each step builds the paper's prompt (``webmimic.agents.prompt``), fits it into the model's
context minus the answer's tokens, and generates (greedy by default, deterministic). The steps
of a session share a growing prefix, so the KV cache is kept from step to step: the tokens the
new prompt shares with the last one are not computed again. The cache is cropped back to that
shared prefix, since the new prompt carries the human's action, not the model's.

torch and transformers are imported here only: nothing else in webmimic needs them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import functools
import json
from pathlib import Path
from typing import Any

import gymnasium as gym

from webmimic.agents.base import Agent
from webmimic.agents.prompt import Message, build_messages, fit_messages, unanswerable
from webmimic.core.actions import AgentOutput
from webmimic.core.errors import ModelFolderError, PromptTooLongError

__all__ = ["GenerationSettings", "HFAgent", "check_model_folder"]

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
AGENT_FILE = "webmimic_agent.json"  # the prompt mode and context a model was trained with
CHECKED_JSON = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "generation_config.json",
    AGENT_FILE,
)
MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on its JSON header
COPY = "the file is damaged: copy the model folder again, or save it again with save_pretrained"
RESAVE = "save the model again with model.save_pretrained(folder)"
SAVE_SAFELY = "load it once in Python and save it with model.save_pretrained(folder, safe_serialization=True)"


@dataclass(frozen=True)
class GenerationSettings:
    """How the agent generates. ``context_tokens`` and ``rationales`` None: what the folder's
    ``webmimic_agent.json`` says (``webmimic train`` writes it), else the model's maximum length
    and rationales on."""

    max_new_tokens: int = 256
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    seed: int = 0
    context_tokens: int | None = None
    rationales: bool | None = None
    reuse_cache: bool = True


def check_model_folder(path: str | Path) -> Path:
    """The folder, if it holds a safely loadable model; ModelFolderError naming the file and the fix.

    Everything that can be checked without loading is: the files are there, every JSON file
    parses, and every safetensors file is whole (its header parses and its size is what the
    header says), so a damaged copy is named before minutes of loading, not as a stack trace.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelFolderError(f"{folder}: no such folder. hf:PATH takes a local folder written by save_pretrained.")
    if not (folder / "config.json").is_file():
        raise ModelFolderError(f"{folder / 'config.json'}: missing; the folder is not a saved transformers model.")
    if "model_type" not in _strict_json(folder / "config.json"):
        raise ModelFolderError(f"{folder / 'config.json'}: has no model_type, so no architecture to load; {RESAVE}.")
    _check_weights(folder)
    config = folder / "tokenizer_config.json"
    if not (folder / "tokenizer.json").is_file() and not config.is_file():
        raise ModelFolderError(
            f"{folder / 'tokenizer.json'}: missing (and no tokenizer_config.json); save the tokenizer in the "
            "folder too: tokenizer.save_pretrained(folder)."
        )
    settings = {n: _strict_json(folder / n) for n in CHECKED_JSON if (folder / n).is_file()}
    if not (folder / "chat_template.jinja").is_file() and "chat_template" not in settings.get(config.name, {}):
        raise ModelFolderError(
            f"{folder / 'chat_template.jinja'}: missing, and {config.name} has no chat_template; set "
            "tokenizer.chat_template to the model's chat template and save the tokenizer again."
        )
    return folder


def _check_weights(folder: Path) -> None:
    """safetensors only, every shard the index names present, every file whole."""
    safetensors = sorted(folder.glob("*.safetensors"))
    pickles = sorted(p for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if not safetensors and pickles:
        raise ModelFolderError(f"{pickles[0]}: pickle weights are refused (loading them can run code); {SAVE_SAFELY}.")
    if not safetensors:
        raise ModelFolderError(f"{folder}: no *.safetensors weights; {SAVE_SAFELY}.")
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = _strict_json(index).get("weight_map")
        if not isinstance(weight_map, dict):
            raise ModelFolderError(f"{index}: has no weight_map object; {RESAVE}.")
        for shard in sorted({str(v) for v in weight_map.values()}):
            if not (folder / shard).is_file():
                raise ModelFolderError(f"{folder / shard}: missing, but {index.name} names it; copy it in or {RESAVE}.")
    for file in safetensors:
        _check_safetensors(file)


def _check_safetensors(path: Path) -> None:
    """The file's 8-byte header length, its JSON header, and its size against the tensors' offsets.

    Reads the header only (at most ``MAX_HEADER`` bytes), so a big model is checked in a moment.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else -1
        if length < 2 or length > min(MAX_HEADER, size - 8):
            raise ModelFolderError(
                f"{path}: not a whole safetensors file (its header is cut short or damaged); {COPY}."
            )
        try:
            header = json.loads(fh.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise ModelFolderError(f"{path}: its safetensors header is damaged ({err}); {COPY}.") from err
    if not isinstance(header, dict):
        raise ModelFolderError(f"{path}: its safetensors header is not a JSON object; {COPY}.")
    ends = [_tensor_end(path, name, entry) for name, entry in header.items() if name != "__metadata__"]
    expected = 8 + length + max(ends, default=0)
    if size != expected:
        what = "cut short" if size < expected else "longer than its header says"
        raise ModelFolderError(f"{path}: {size} bytes where its header needs {expected}: the file is {what}; {COPY}.")


def _tensor_end(path: Path, name: str, entry: Any) -> int:
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
        raise ModelFolderError(f"{path}: tensor {name!r} has no valid data_offsets in the header; {COPY}.")
    return int(offsets[1])


def _strict_json(path: Path) -> dict[str, Any]:
    """A JSON object file of the folder; ModelFolderError saying where it breaks and what to do."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ModelFolderError(f"{path}: not UTF-8 text (byte {err.start + 1}); {COPY}.") from err
    except json.JSONDecodeError as err:
        raise ModelFolderError(
            f"{path}: not valid JSON (line {err.lineno} column {err.colno}: {err.msg}); {COPY}."
        ) from err
    except OSError as err:
        raise ModelFolderError(f"{path}: cannot be read ({err.strerror or err}); check its permissions.") from err
    if not isinstance(data, dict):
        raise ModelFolderError(f"{path}: a JSON {type(data).__name__}, where an object was expected; {COPY}.")
    return data


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _setting(given: Any, trained: Any, default: Any) -> Any:
    """The caller's setting, else the trained one (if of the default's type), else the default."""
    if given is not None:
        return given
    return trained if isinstance(trained, type(default)) else default


@functools.lru_cache(maxsize=2)
def _load(folder: Path) -> tuple[Any, Any]:
    """(tokenizer, model), once per process and folder: an eval makes an agent per session."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(
            folder, local_files_only=True, trust_remote_code=False, use_safetensors=True
        )
    except (OSError, ValueError, KeyError) as err:  # what transformers raises for a folder it cannot use
        raise ModelFolderError(f"{folder}: transformers could not load the model: {err}; {RESAVE}.") from err
    model.eval()
    return tokenizer, model


class HFAgent(Agent):
    """A local causal LM playing the shopper; returns the model's raw text for the env to parse."""

    def __init__(
        self,
        name: str,
        tokenizer: Any,
        model: Any,
        trained: Mapping[str, Any],
        settings: GenerationSettings | None = None,
        folder: Path | None = None,
    ) -> None:
        """An agent playing a model already in memory (e.g. the one a trainer is training);
        ``trained`` is what ``webmimic train`` saved about it, ``folder`` where it was loaded from."""
        self.name, self.tokenizer, self.model = name, tokenizer, model
        self.settings = settings or GenerationSettings()
        self.rationales = _setting(self.settings.rationales, trained.get("rationales"), True)
        maximum = int(getattr(self.model.config, "max_position_embeddings", 4096))
        context = _setting(self.settings.context_tokens, trained.get("context_tokens"), maximum)
        self.budget = context - self.settings.max_new_tokens
        self._cache: Any = None
        self._cached_ids: list[int] = []
        self.folder = folder
        self._steps = 0
        self.last_prompt_ids: list[int] = []  # the token ids of the last prompt (for benchmarks and debugging)

    @classmethod
    def from_folder(cls, path: str | Path, settings: GenerationSettings | None = None) -> HFAgent:
        """The model of a Hugging Face folder, with how ``webmimic train`` trained it if it did."""
        folder = check_model_folder(path)
        tokenizer, model = _load(folder)
        return cls(f"hf:{folder}", tokenizer, model, _json(folder / AGENT_FILE), settings, folder)

    def reset(self, env: gym.Env[Any, Any], info: Mapping[str, Any]) -> None:
        self._cache, self._cached_ids, self._steps = None, [], 0

    def _ids(self, messages: list[Message] | tuple[Message, ...]) -> list[int]:
        encoded = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, return_dict=True)
        return list(encoded["input_ids"])

    def act(self, observation: Mapping[str, Any]) -> str | AgentOutput:
        try:
            return self.complete(build_messages(observation, rationales=self.rationales))
        except PromptTooLongError as err:
            return unanswerable(err)

    def complete(self, messages: Sequence[Message]) -> str:
        """The model's answer to chat messages whose last one is a page turn, fitted to the context."""
        ids = self.last_prompt_ids = self._prompt_ids(messages)
        new = self._generate(ids)
        self._steps += 1
        return str(self.tokenizer.decode(new, skip_special_tokens=True))

    def _prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        return self._ids(fit_messages(messages, self.budget, lambda m: len(self._ids(list(m)))).messages)

    def act_all(self, observations: Sequence[Mapping[str, Any]]) -> list[str | AgentOutput]:
        """One answer per observation: ``act_batch`` on a GPU, ``act`` one by one on a CPU, where
        the padding costs more than the shared calls save (``benchmarks/bench_agent_batch.py``)."""
        if self.model.device.type == "cpu":
            return [self.act(observation) for observation in observations]
        return self.act_batch(observations)

    def act_batch(self, observations: Sequence[Mapping[str, Any]]) -> list[str | AgentOutput]:
        """One answer per observation (e.g. the envs of a vector env), generated as one left-padded
        batch: greedy gives what ``act`` gives, in fewer, larger model calls. No cache is kept."""
        import torch

        answers: list[str | AgentOutput] = [""] * len(observations)
        prompts: dict[int, list[int]] = {}
        for i, observation in enumerate(observations):
            try:
                prompts[i] = self._prompt_ids(build_messages(observation, rationales=self.rationales))
            except PromptTooLongError as err:
                answers[i] = unanswerable(err)
        if not prompts:
            return answers
        width = max(len(ids) for ids in prompts.values())
        pad = self._pad_id()
        batch = torch.tensor([[pad] * (width - len(ids)) + ids for ids in prompts.values()])
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts.values()])
        with torch.no_grad():
            output = self.model.generate(batch, attention_mask=mask, pad_token_id=pad, **self._sampling())
        for row, i in enumerate(prompts):
            answers[i] = str(self.tokenizer.decode(output[row, width:], skip_special_tokens=True))
        self._steps += 1
        return answers

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad if pad is not None else self.tokenizer.eos_token_id)

    def _sampling(self) -> dict[str, Any]:
        """generate()'s options: greedy, or seeded sampling (a new seed per step)."""
        import torch

        kwargs: dict[str, Any] = {"max_new_tokens": self.settings.max_new_tokens, "do_sample": False}
        if self.settings.temperature > 0:
            torch.manual_seed(self.settings.seed + self._steps)
            kwargs.update(do_sample=True, temperature=self.settings.temperature, top_p=self.settings.top_p)
        return kwargs

    def _generate(self, ids: list[int]) -> list[int]:
        import torch

        cache = self._reusable_cache(ids) if self.settings.reuse_cache else None
        kwargs = self._sampling()
        with torch.no_grad():
            output = self.model.generate(torch.tensor([ids]), cache=cache, pad_token_id=self._pad_id(), **kwargs)
        if self.settings.reuse_cache:
            self._cache, self._cached_ids = cache, ids
        return [int(t) for t in output[0, len(ids) :]]

    def _reusable_cache(self, ids: list[int]) -> Any:
        """The last step's cache cropped to the prefix it shares with ``ids`` (a fresh one if none)."""
        from transformers import DynamicCache

        shared = 0
        for old, new in zip(self._cached_ids, ids, strict=False):
            if old != new:
                break
            shared += 1
        shared = min(shared, len(ids) - 1)  # at least one token is computed anew
        if self._cache is None or shared <= 0:
            return DynamicCache(config=self.model.config)
        extra = self._cache.get_seq_length() - shared
        if extra > 0:
            self._cache.crop(-extra)
        return self._cache
