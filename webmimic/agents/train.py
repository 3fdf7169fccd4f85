"""``webmimic train``: supervised fine-tuning of an LLM shopper on recorded sessions (the paper's recipe).

Each session is one multi-turn conversation, exactly the prompt an agent sees at one of its
steps (``webmimic.agents.prompt``: the persona, every page with the person's rationale and
action, fitted to the context by the same truncation policy) followed by that step's answer: the
last step as in the paper (``--cut last``, the default), or a step drawn per session
(``--cut random``; see ``_conversation``). The
loss is on the assistant turns only (the rationales and actions): TRL's ``SFTTrainer`` with
``assistant_only_loss``, whose mask comes from the ``{% generation %}`` markers of the ChatML
template below. The pages come from replaying each session in the live shop (teacher forcing),
so training sees the pages the agent will see.

``--preset tiny`` needs no pretrained weights: a byte-level BPE tokenizer trained on the
conversations and a small Llama-style transformer from scratch. A ``--base`` folder (or
``smollm2``) is fine-tuned instead, fully or with LoRA (peft). fp32 on a CPU, bf16 on a GPU.
The output folder is what ``hf:DIR`` loads: safetensors, tokenizer, chat template and a model
card (README.md) with the data, the command and the hyperparameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
import json
import logging
from pathlib import Path
import random
from typing import Any, Literal

from webmimic.agents.checkpoints import checkpoints_to_resume, fit, save_model_folder
from webmimic.agents.examples import TrainingExample, read_examples, replay_examples, write_examples
from webmimic.agents.hf import AGENT_FILE, check_model_folder
from webmimic.agents.prompt import Message, fit_messages
from webmimic.core.errors import PromptTooLongError
from webmimic.core.files import atomic_write

__all__ = ["CHATML_TRAINING_TEMPLATE", "TrainConfig", "load_base", "tiny_model", "tiny_tokenizer", "train"]

CHATML_TRAINING_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}<|im_start|>assistant\n{% generation %}{{ m['content'] }}<|im_end|>"
    "{% endgeneration %}\n"
    "{% else %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<unk>", "<|im_start|>", "<|im_end|>", "<pad>"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """One training run; the fields are the ``webmimic train`` flags."""

    sessions: str | None  # None: ``examples`` names a saved examples.jsonl instead
    out: str
    examples: str | None = None  # an earlier run's examples.jsonl: no browser replay
    workers: int = 1  # processes replaying the sessions for their pages
    base: str | None = None  # None: the tiny preset from scratch; else a folder or "smollm2"
    rationales: bool = True
    lora: bool = False
    epochs: float = 1.0
    max_steps: int = -1  # -1: as many as the epochs take
    context_tokens: int = 4096
    learning_rate: float = 1e-3
    batch_size: int = 1
    seed: int = 0
    vocab_size: int = 4096
    limit: int | None = None  # the first N sessions
    resume: bool = False  # continue from the last checkpoint in OUT/checkpoints
    cut: Literal["last", "random"] = "last"  # where each session's conversation ends (see _conversation)
    eval_sessions: str | None = None  # evaluate the saved model on these sessions (figures in the card)
    eval_limit: int | None = None  # the first N of them
    method: Literal["sft", "grpo"] = "sft"  # grpo: reinforcement from a fine-tuned --base (agents/grpo.py)
    group_size: int = 4  # GRPO: completions sampled per prompt
    completion_tokens: int = 96  # GRPO: the longest completion sampled
    temperature: float = 1.0  # GRPO: sampling temperature of the completions
    outcome_reward: float = 0.0  # GRPO: weight of the session-outcome reward of a free run (0: off)
    free_run_steps: int = 4  # GRPO: the most actions the policy plays after a completion in that free run
    outcome_envs: int | None = None  # GRPO: free runs played at once (None: one per completion of a group)

    def __post_init__(self) -> None:
        if self.method == "grpo" and self.base is None:
            raise ValueError("GRPO starts from a fine-tuned model: pass --base bundled or --base DIR.")
        if self.outcome_reward and self.sessions is None:
            raise ValueError("--outcome-reward plays free runs in the live shop: pass --sessions FILE too.")


def tiny_tokenizer(texts: Sequence[str], vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with ChatML's special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, unk_token="<unk>", pad_token="<pad>", bos_token="<|im_start|>", eos_token="<|im_end|>"
    )


def tiny_model(tokenizer: Any, context: int, seed: int, *, width: int = 128, layers: int = 4) -> Any:
    """A small Llama-style transformer with random weights, sized for CPUs."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=context,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def _base_model(config: TrainConfig, texts: Sequence[str]) -> tuple[Any, Any]:
    """(tokenizer, model) to train: the tiny preset, or a pretrained folder (``smollm2`` included)."""
    if config.base is None:
        tokenizer = tiny_tokenizer(texts, config.vocab_size)
        return tokenizer, tiny_model(tokenizer, config.context_tokens, config.seed)
    return load_base(config.base)


def load_base(base: str) -> tuple[Any, Any]:
    """(tokenizer, model) of ``smollm2``, ``bundled`` or a model folder, to train further."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from webmimic.agents.bundled import bundled_folder
    from webmimic.agents.smollm2 import smollm2_folder

    if base in ("smollm2", "bundled"):
        folder = smollm2_folder() if base == "smollm2" else bundled_folder()
    else:
        folder = check_model_folder(base)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def _fitted(conversations: Sequence[list[Message]], tokenizer: Any, budget: int) -> list[list[Message]]:
    """Each conversation fitted to the context by the prompt's own policy (the answer kept whole)."""

    def count(messages: Sequence[Message]) -> int:
        return len(tokenizer.apply_chat_template(list(messages), tokenize=True, return_dict=True)["input_ids"])

    out = []
    for conversation in conversations:
        answer = conversation[-1]
        try:
            prompt = fit_messages(conversation[:-1], budget - count([answer]), count)
        except PromptTooLongError as err:
            log.warning("Skipping a session whose last page does not fit the context: %s", err)
            continue
        out.append([*prompt.messages, answer])
    if not out:
        raise PromptTooLongError(f"No session fits a context of {budget} tokens; raise --context-tokens.")
    return out


def _conversation(example: TrainingExample, config: TrainConfig) -> list[Message]:
    """The session as one conversation ending at its last step (``cut="last"``, the paper's recipe
    when whole sessions fit the context) or at a step drawn uniformly per session and seed
    (``cut="random"``). With a short context, only the last pages keep their HTML, so always
    ending on the last step teaches the model that a fully shown page is where people leave."""
    end = None
    if config.cut == "random":
        end = random.Random(f"{config.seed}:{example.session_id}").randrange(example.steps)
    return example.conversation(rationales=config.rationales, end=end)


def training_examples(config: TrainConfig, out: Path) -> list[TrainingExample]:
    """The configured examples file, a resumed run's own, or a fresh replay of the sessions;
    saved in the output folder either way, so the model's training data travels with it."""
    saved = out / "examples.jsonl"
    if config.examples or (config.resume and saved.exists()):
        examples = read_examples(config.examples or saved)[: config.limit]
    elif config.sessions is None:
        raise ValueError("Pass the sessions to train on (--sessions FILE) or saved examples (--examples FILE).")
    else:
        examples = replay_examples(config.sessions, workers=config.workers, limit=config.limit)
    out.mkdir(parents=True, exist_ok=True)
    write_examples(saved, examples)
    return examples


def train(config: TrainConfig) -> Path:
    """Train as configured; save a folder that ``hf:DIR`` loads, with a model card; return it."""
    if config.method == "grpo":
        from webmimic.agents.grpo import train_grpo

        return train_grpo(config)
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    out = Path(config.out)
    resume_from = checkpoints_to_resume(out, config.resume)
    conversations = [_conversation(e, config) for e in training_examples(config, out)]
    texts = [m["content"] for c in conversations for m in c]
    tokenizer, model = _base_model(config, texts)
    tokenizer.chat_template = CHATML_TRAINING_TEMPLATE
    fitted = _fitted(conversations, tokenizer, config.context_tokens)
    if config.lora:
        from peft import get_peft_model

        model = get_peft_model(model, lora_config())
    args = SFTConfig(
        assistant_only_loss=True,
        max_length=config.context_tokens,
        per_device_train_batch_size=config.batch_size,
        **trainer_arguments(config, out),
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list([{"messages": c} for c in fitted]),
        processing_class=tokenizer,
    )
    fit(trainer, resume_from, out)
    save_trained(trainer, tokenizer, config, out)
    metrics = evaluate_saved(config, out) if config.eval_sessions else None
    _model_card(out, config, len(fitted), trainer.state.log_history, metrics)
    return out


def lora_config() -> Any:
    """The LoRA adapters both methods train (rank 16 on every linear layer)."""
    from peft import LoraConfig

    return LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM")


def trainer_arguments(config: TrainConfig, out: Path) -> dict[str, Any]:
    """What SFT and GRPO runs share: length, optimizer, precision (bf16 on a GPU), logging, checkpoints."""
    import torch

    gpu = torch.cuda.is_available()
    return {
        "output_dir": str(out / "checkpoints"),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "bf16": gpu,
        "use_cpu": not gpu,
        "logging_steps": 1,
        "save_strategy": "steps",
        "save_steps": 50,
        "save_total_limit": 1,
        "report_to": "none",
    }


def save_trained(trainer: Any, tokenizer: Any, config: TrainConfig, out: Path) -> None:
    """The trained model (LoRA merged in), its tokenizer and how it plays, in ``out`` for ``hf:OUT``."""
    trained: Any = trainer.model
    final = trained.merge_and_unload() if config.lora else trained
    agent = {"rationales": config.rationales, "context_tokens": config.context_tokens}
    save_model_folder(final, tokenizer, out, agent, AGENT_FILE)


def evaluate_saved(config: TrainConfig, out: Path) -> dict[str, Any]:
    """The saved model as ``hf:OUT`` on the eval sessions; the run goes to OUT/eval."""
    from webmimic.evaluation.runner import EvalConfig, run_eval

    eval_dir = out / "eval"
    # the figures must be this model's: an earlier eval there is replaced (only its own files)
    force = eval_dir.exists()
    run = EvalConfig(
        f"hf:{out}", config.eval_sessions, str(eval_dir), limit=config.eval_limit, screenshots=0, force=force
    )
    return run_eval(run)


def _model_card(
    out: Path, config: TrainConfig, conversations: int, log: list[dict[str, Any]], metrics: dict[str, Any] | None
) -> None:
    losses = [round(float(e["loss"]), 4) for e in log if "loss" in e]
    lines = [
        f"# webmimic shopper: {out.name}",
        "",
        f"Fine-tuned with `webmimic train` on {conversations} sessions of `{config.sessions or config.examples}`"
        f" ({'with' if config.rationales else 'without'} rationales; loss on the assistant turns only).",
        f"Base: {config.base or 'the tiny preset (tokenizer and Llama-style model trained from scratch)'}.",
        "",
        "Training loss, first and last logged: " + (f"{losses[0]} → {losses[-1]}" if losses else "not logged") + ".",
        "",
        *card_end(config, metrics, out),
    ]
    atomic_write(out / "README.md", "\n".join(lines) + "\n")


def card_end(config: TrainConfig, metrics: dict[str, Any] | None, out: Path) -> list[str]:
    """A model card's last lines, the same for SFT and GRPO: hyperparameters, eval, how to load it."""
    return [
        "Hyperparameters:",
        "",
        "```json",
        json.dumps(asdict(config), indent=2),
        "```",
        "",
        *eval_lines(config, metrics),
        "Load it as an agent with `webmimic eval --agent hf:" + str(out) + "`.",
    ]


def eval_lines(config: TrainConfig, metrics: dict[str, Any] | None) -> list[str]:
    if metrics is None:
        return []
    lines = [
        f"Evaluation on `{config.eval_sessions}`"
        + (f" (first {config.eval_limit} sessions)" if config.eval_limit else "")
        + f": {metrics['sessions']} sessions, {metrics['steps']} checked steps, each predicted action checked "
        "against the session's recorded next action in the live shop (run folder `eval/`).",
        "",
    ]
    for key in ("exact_match", "action_type_macro_f1", "session_outcome_f1", "element_accuracy"):
        value = metrics.get(key)
        lines.append(f"- {key}: {'n/a' if value is None else f'{100 * value:.2f}%'}")
    lines += [f"- invalid outputs: {metrics.get('invalid_outputs', 0)} of {metrics['steps']} steps", ""]
    return lines
