"""``webmimic train --method grpo``: reinforcement on replayed sessions, as in Shop-R1.

The prompts are states of replayed sessions: session ``s`` at step ``k``, the exact prompt an
agent sees there (the pages come from replaying the session in the live shop, saved as
``examples.jsonl``: a session's last-step observation holds every earlier page). TRL's
``GRPOTrainer`` samples ``group_size`` completions per prompt and rewards each with webmimic's
partial credit against the person's action at that step (format, type, then name and text by
ROUGE-L; ``webmimic.core.match.partial_credit``): the same reward ``Replay-v0`` gives with
``reward="partial"``. It starts from a fine-tuned model (``--base bundled`` or an ``hf:`` folder),
logs the reward per step (``reward_curve.jsonl`` and the model card), and saves a folder that
``hf:DIR`` loads. ``--outcome-reward W`` adds, weighted by W, the session-outcome reward of a
free run from each completion (``webmimic.agents.outcome_reward``).
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import logging
from pathlib import Path
from typing import Any

from webmimic.agents.checkpoints import checkpoints_to_resume, fit
from webmimic.agents.examples import TrainingExample
from webmimic.agents.hf import GenerationSettings, HFAgent
from webmimic.agents.outcome_reward import SessionOutcomeReward
from webmimic.agents.prompt import build_messages, fit_messages
from webmimic.agents.train import (
    TrainConfig,
    card_end,
    evaluate_saved,
    load_base,
    lora_config,
    save_trained,
    trainer_arguments,
    training_examples,
)
from webmimic.core.actions import Action, AgentOutput
from webmimic.core.errors import PromptTooLongError
from webmimic.core.files import atomic_write
from webmimic.core.match import partial_credit

__all__ = ["shopper_reward", "train_grpo"]

log = logging.getLogger(__name__)


def shopper_reward(completions: Sequence[Any], human: Sequence[str], **_: Any) -> list[float | None]:
    """Partial credit of each completion's action against the person's (JSON in ``human``)."""
    rewards: list[float | None] = []
    for completion, expected in zip(completions, human, strict=True):
        text = completion[-1]["content"] if isinstance(completion, list) else str(completion)
        rewards.append(partial_credit(AgentOutput.parse(text).action, Action.from_dict(json.loads(expected))))
    return rewards


def _states(examples: Sequence[TrainingExample], tokenizer: Any, config: TrainConfig) -> list[dict[str, Any]]:
    """Every step of every session as a prompt (fitted to the context, the answer's room kept)
    with the person's action there."""

    def count(messages: Sequence[Any]) -> int:
        encoded = tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, return_dict=True)
        return len(encoded["input_ids"])

    budget = config.context_tokens - config.completion_tokens
    states = []
    for example in examples:
        for step in range(example.steps):
            observation, action, _ = example.at(step)
            try:
                prompt = fit_messages(build_messages(observation, rationales=config.rationales), budget, count)
            except PromptTooLongError as err:
                log.warning("Skipping step %d of session %s: %s", step, example.session_id, err)
                continue
            states.append(
                {
                    "prompt": list(prompt.messages),
                    "human": json.dumps(action),
                    "session_id": example.session_id,
                    "step": step,
                }
            )
    if not states:
        raise PromptTooLongError(f"No state fits a context of {config.context_tokens} tokens; raise --context-tokens.")
    return states


def train_grpo(config: TrainConfig) -> Path:
    """GRPO from ``config.base``; save a folder that ``hf:DIR`` loads, with the reward curve; return it."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    assert config.base is not None  # TrainConfig checks it
    out = Path(config.out)
    resume_from = checkpoints_to_resume(out, config.resume)
    examples = training_examples(config, out)
    tokenizer, model = load_base(config.base)
    tokenizer.padding_side = "left"
    states = _states(examples, tokenizer, config)
    outcome = (
        SessionOutcomeReward(
            config.sessions or "", config.free_run_steps, envs=config.outcome_envs or config.group_size
        )
        if config.outcome_reward
        else None
    )
    args = GRPOConfig(
        num_generations=config.group_size,
        per_device_train_batch_size=config.group_size,
        max_completion_length=config.completion_tokens,
        temperature=config.temperature,
        reward_weights=[1.0, config.outcome_reward] if outcome else None,
        **trainer_arguments(config, out),
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[shopper_reward, outcome] if outcome else shopper_reward,
        args=args,
        train_dataset=Dataset.from_list(states),
        processing_class=tokenizer,
        peft_config=lora_config() if config.lora else None,
    )
    try:
        if outcome:  # the policy plays on with the weights being trained, greedily
            settings = GenerationSettings(max_new_tokens=config.completion_tokens, reuse_cache=False)
            trained = {"rationales": config.rationales, "context_tokens": config.context_tokens}
            outcome.policy = HFAgent("policy", tokenizer, trainer.model, trained, settings).act_all
        fit(trainer, resume_from, out)
    finally:
        if outcome:
            outcome.close()
    tokenizer.padding_side = "right"
    save_trained(trainer, tokenizer, config, out)
    curve = _reward_curve(out, trainer.state.log_history)
    metrics = evaluate_saved(config, out) if config.eval_sessions else None
    _model_card(out, config, len(examples), len(states), curve, metrics)
    return out


def _reward_curve(out: Path, log_history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mean reward (and its spread) of each logged step, saved as ``reward_curve.jsonl``."""
    parts = ("shopper_reward", "session_outcome")
    curve = [
        {"step": e["step"], "reward": e["reward"], "reward_std": e.get("reward_std")}
        | {part: e[f"rewards/{part}/mean"] for part in parts if f"rewards/{part}/mean" in e}
        for e in log_history
        if "reward" in e
    ]
    atomic_write(out / "reward_curve.jsonl", "".join(json.dumps(point) + "\n" for point in curve))
    return curve


def _model_card(
    out: Path,
    config: TrainConfig,
    sessions: int,
    states: int,
    curve: list[dict[str, Any]],
    metrics: dict[str, Any] | None,
) -> None:
    rewards = ", ".join(f"{point['reward']:.3f}" for point in curve)
    lines = [
        f"# webmimic shopper: {out.name}",
        "",
        f"Trained with GRPO (TRL's GRPOTrainer) from `{config.base}` on {states} states of {sessions} sessions of "
        f"`{config.sessions or config.examples}`: {config.group_size} completions per prompt, rewarded with partial "
        "credit against the person's action at that step"
        + (
            f", plus {config.outcome_reward} times the session outcome of a free run from the completion (at most "
            f"{config.free_run_steps} more actions; 1 when it ends as the person's session did)."
            if config.outcome_reward
            else "."
        ),
        "",
        f"Mean reward per step ({len(curve)} steps, in order): {rewards or 'not logged'}.",
        "",
        *card_end(config, metrics, out),
    ]
    atomic_write(out / "README.md", "\n".join(lines) + "\n")
