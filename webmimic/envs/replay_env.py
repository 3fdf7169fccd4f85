"""``webmimic/Replay-v0``: replay a recorded session and check the agent's action at every step.

One episode is one session. At each step the agent's action is compared with the human's next
one (the paper's exact match); then, by default, the *human's* action is executed (teacher
forcing), so the browser stays on the human's path and every step is checked with the true
history. With ``follow="agent"`` the agent's actions drive the browser instead (free run): the
checks stop at the first divergence and the episode's reward is whether the agent ended the
session as the human did (purchase of the same product, or leaving).

A site that fails under an action (HTTP 5xx, a dropped connection, no answer in time) ends the
episode as failed instead of raising: ``truncated`` is True, ``info["site_error"]`` says where and
how, ``info["error"]`` says it in words, and the next ``step`` asks for ``reset``. ``reset`` itself
raises ``SiteFailureError`` when the site fails while loading the start page or replaying the
human's steps before ``options["step"]``: there is no episode to mark.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
import functools
import html
import json
import os
import re
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import gymnasium as gym
from gymnasium import logger, spaces

from webmimic.core.actions import Action, AgentOutput, describe_action
from webmimic.core.errors import (
    ActionError,
    ElementNotFoundError,
    ReplayDivergenceError,
    SiteFailureError,
    first_difference,
)
from webmimic.core.match import Match, compare_actions, partial_credit
from webmimic.envs.base import BrowserEnv, Info, Obs, StepResult, history_entry, page_spaces
from webmimic.envs.runtime import SiteServers, path_of
from webmimic.replay.bundled import bundled_sessions_path
from webmimic.replay.session import Session, Step, StepOp, read_sessions, rebase_url, relative_url
from webmimic.simulator import Browser, BrowserConfig, Observation, Tab
from webmimic.simulator.capture import mask_form_values, replay_operation

__all__ = ["ReplayEnv", "note_site_failure", "check_base_url"]


def check_base_url(base_url: str | None) -> str | None:
    """``base_url`` without a trailing "/", or ValueError saying what a base URL looks like."""
    if base_url is None:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"base_url must be an http(s) URL such as 'http://127.0.0.1:8000' or 'https://staging.example.com/app' "
            f"(no query or fragment), not {base_url!r}."
        )
    return base_url.rstrip("/")


def note_site_failure(info: Info, err: SiteFailureError) -> None:
    """Put a site failure into a step's ``info``: ``site_error`` (url, kind, status, detail, message)
    and ``error``, after the agent's own error when it had one (the step's check still stands)."""
    info["site_error"] = err.to_dict()
    words = f"{type(err).__name__}: {err}"
    info["error"] = words if info.get("error") is None else f"{info['error']} Then the site failed: {words}"


def persona_text(session: Session) -> str:
    persona = session.persona
    if persona is None:
        return ""
    if persona.text:
        return persona.text
    return json.dumps(dict(persona.fields), ensure_ascii=False, sort_keys=True)


class ReplayEnv(BrowserEnv):
    """Replays sessions from a file (default: the bundled synthetic test split).

    ``timings=True`` adds wall-clock timings (``reset_ms``, ``step_ms``) to ``info``; they are off
    by default so that ``info`` is deterministic (gymnasium's ``check_env`` compares it across runs).
    """

    def __init__(
        self,
        sessions: str | os.PathLike[str] | Sequence[Session] | None = None,
        *,
        follow: Literal["human", "agent"] = "human",
        reward: Literal["exact", "partial"] = "exact",
        render_mode: str | None = None,
        browser: Browser | None = None,
        browser_config: BrowserConfig | None = None,
        servers: SiteServers | None = None,
        max_steps: int | None = None,
        strict: bool = False,
        timings: bool = False,
        base_url: str | None = None,
    ) -> None:
        if follow not in ("human", "agent"):
            raise ValueError(f"follow must be 'human' or 'agent', not {follow!r}.")
        if reward not in ("exact", "partial"):
            raise ValueError(f"reward must be 'exact' or 'partial', not {reward!r}.")
        if sessions is None:
            sessions = bundled_sessions_path("test")
        self.sessions: tuple[Session, ...] = (
            tuple(read_sessions(sessions)) if isinstance(sessions, (str, os.PathLike)) else tuple(sessions)
        )
        if not self.sessions:
            raise ValueError("No sessions to replay: the file or list is empty.")
        self._by_id = {s.id: s for s in self.sessions}
        if follow == "agent":
            snapshots = [s.id for s in self.sessions if s.site == "snapshot"]
            if snapshots:
                raise ValueError(
                    f"follow='agent' needs live sessions, but {len(snapshots)} are snapshot sessions "
                    f"(e.g. {snapshots[0]!r}): their recorded pages cannot react to other actions."
                )
        self.follow = follow
        self.reward_mode = reward
        self.max_steps = max_steps
        self.strict = strict
        self.base_url = check_base_url(base_url)
        super().__init__(
            render_mode=render_mode, browser=browser, browser_config=browser_config, timings=timings, servers=servers
        )
        self.observation_space = spaces.Dict(page_spaces())
        self._session: Session | None = None
        self._t = 0
        self._diverged = False
        self._agent_steps = 0
        self._warned: set[str] = set()
        self._failure: SiteFailureError | None = None  # the site failure that ended the episode

    # -- public helpers -----------------------------------------------------------------
    def site_url(self) -> str:
        """Where the current session replays: ``base_url`` when given, else a web session's
        ``origin``, else the bundled site's server (started here on first use)."""
        session = self.session
        if self.base_url is not None:
            return self.base_url
        if session.origin is not None:
            return session.origin
        return self._runtime.site(session.site)[1].url

    @property
    def session(self) -> Session:
        if self._session is None:
            raise gym.error.ResetNeeded("Call reset() before using the environment.")
        return self._session

    @property
    def step_index(self) -> int:
        """Index of the human step the next action is checked against."""
        return self._t

    def expected_action(self) -> Action | None:
        """The human's next action (what the oracle agent plays); None once the session is over."""
        steps = self.session.steps
        return steps[self._t].action if self._t < len(steps) else None

    # -- gymnasium API ------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Obs, Info]:
        super().reset(seed=seed)
        options = dict(options or {})
        session_id = options.pop("session_id", None)
        start = options.pop("step", 0)
        if options:
            raise ValueError(f"Unknown reset option(s) {sorted(options)}; allowed: session_id, step.")
        if session_id is None:
            session = self.sessions[int(self.np_random.integers(len(self.sessions)))]
        elif session_id in self._by_id:
            session = self._by_id[session_id]
        else:
            raise KeyError(f"No session {session_id!r} among the {len(self.sessions)} loaded sessions.")
        if not isinstance(start, int) or not 0 <= start < len(session.steps):
            raise ValueError(
                f"options['step'] must be an int in [0, {len(session.steps) - 1}] for session {session.id!r}."
            )
        self._session, self._t, self._history = session, 0, []
        self._diverged, self._agent_steps, self._failure = False, 0, None
        started = time.perf_counter()
        self._obs = self._open(session)
        for _ in range(start):
            self._advance_human()
        info: Info = {
            "session_id": session.id,
            "step": self._t,
            "steps": len(session.steps),
            "source": session.source,
        }
        if self.timings:
            info["reset_ms"] = (time.perf_counter() - started) * 1000
        return self._observation(), self._noting_restarts(info)

    def step(self, action: Any) -> StepResult:
        """Check the agent's output (raw, or ``self.parse(raw)``) against the human's next action."""
        session = self.session
        if self._t >= len(session.steps) and self.follow == "human":
            raise gym.error.ResetNeeded("The session is over; call reset().")
        if self._failure is not None:
            raise gym.error.ResetNeeded(f"The episode ended when the site failed ({self._failure}); call reset().")
        output = self.parse(action)
        info: Info = {
            "session_id": session.id,
            "step": self._t,
            "raw_output": output.raw,
            "error": output.error,
            "agent_action": output.action.to_dict() if output.action else None,
            "agent_rationale": output.rationale,
        }
        started = time.perf_counter()
        if self.follow == "human":
            reward, terminated, truncated = self._step_teacher_forced(output.action, info)
        else:
            reward, terminated, truncated = self._step_free_run(output, info)
        if self.timings:
            info["step_ms"] = (time.perf_counter() - started) * 1000
        return self._observation(), reward, terminated, truncated, self._noting_restarts(info)

    # -- stepping -------------------------------------------------------------------------
    def _step_teacher_forced(self, agent_action: Action | None, info: Info) -> tuple[float, bool, bool]:
        human = self.session.steps[self._t].action
        match = compare_actions(agent_action, human)
        self._record_check(info, human, match)
        reward = float(match.exact) if self.reward_mode == "exact" else partial_credit(agent_action, human)
        try:
            self._advance_human()
        except SiteFailureError as err:  # the check stands; the episode cannot go on
            self._site_failed(err, info)
            return reward, False, True
        return reward, self._t >= len(self.session.steps), False

    def _site_failed(self, err: SiteFailureError, info: Info) -> None:
        self._failure = err
        note_site_failure(info, err)

    def _step_free_run(self, output: AgentOutput, info: Info) -> tuple[float, bool, bool]:
        session, agent_action = self.session, output.action
        if not self._diverged and self._t < len(session.steps):
            human = session.steps[self._t].action
            match = compare_actions(agent_action, human)
            self._record_check(info, human, match)
            self._diverged = not match.exact
            self._t += 1
        else:
            info["human_action"] = info["match"] = None
        self._agent_steps += 1
        purchase_path = path_of(self._url())
        if agent_action is not None:
            try:
                self._act(agent_action, output.rationale, info)
            except SiteFailureError as err:
                self._site_failed(err, info)
                return 0.0, False, True
        outcome = self._outcome_of(agent_action)
        limit = self.max_steps or 2 * len(session.steps) + 10
        truncated = outcome is None and self._agent_steps >= limit
        if outcome is None:
            return 0.0, False, truncated
        info["agent_outcome"] = outcome
        human_path = path_of(self._recorded_url(session.steps[-1]))
        same = outcome == session.outcome and (outcome != "purchase" or purchase_path == human_path)
        info["outcome_match"] = same
        return float(same), True, False

    def _outcome_of(self, action: Action | None) -> str | None:
        if action is None:
            return None
        if action.type == "terminate":
            return "terminate"
        return "purchase" if action.type == "click" and self._is_purchase(action.name) else None

    def _is_purchase(self, name: str | None) -> bool:
        """A bundled site knows its buy buttons; on a web app, the purchase is the session's last click."""
        session = self.session
        if session.is_web:
            return session.outcome == "purchase" and name == session.steps[-1].action.name
        from webmimic.sites import get_site

        return get_site(session.site).is_purchase(name)

    def _record_check(self, info: Info, human: Action, match: Match) -> None:
        step = self.session.steps[self._t]
        info["human_action"] = human.to_dict()
        info["human_rationale"] = step.rationale
        info["click_type"] = step.click_type
        info["match"] = match.to_dict()

    # -- browser ------------------------------------------------------------------------
    def _open(self, session: Session) -> Observation:
        if session.site == "snapshot":
            return self._runtime.open(functools.partial(self._load_snapshot, 0), offline=True)
        url = self.site_url() + session.start_url
        obs = self._runtime.open(lambda tab: tab.goto(url))
        obs = self._replay_before(0, obs)
        self._check_recording(obs, 0)
        return obs

    def _replay_before(self, index: int, obs: Observation) -> Observation:
        """Do step ``index``'s unscored ``before`` operations (recorded fills, back/forward)."""
        step = self.session.steps[index]
        for op in step.before:
            obs = self._runtime.redo(functools.partial(_replay_op, op=op, then=step.action.name))
        return obs

    def _load_snapshot(self, index: int, tab: Tab) -> Observation:
        step = self.session.steps[index]
        return tab.set_content(step.page or "", url=step.url or None)

    def _advance_human(self) -> None:
        """Execute the human's action at the current step and move on (teacher forcing)."""
        session, t = self.session, self._t
        step = session.steps[t]
        self._history.append(history_entry(step.action, step.rationale, step.url, self._page()))
        if session.site == "snapshot":
            if t + 1 < len(session.steps):
                self._obs = self._runtime.show(functools.partial(self._load_snapshot, t + 1))
        elif step.action.type != "terminate":
            try:
                self._obs = self._runtime.act(step.action)
            except ActionError as err:
                raise cannot_replay(
                    session, t, self._url(), self._page(), err, recorded_url=self._recorded_url(step)
                ) from err
        self._t = t + 1
        if self._t < len(session.steps):
            if session.site != "snapshot" and self._obs is not None:
                self._obs = self._replay_before(self._t, self._obs)
            self._check_recording(self._obs, self._t)

    def _check_recording(self, obs: Observation | None, index: int) -> None:
        """Compare the live page with the one recorded at that step, when there is one."""
        session = self.session
        step = session.steps[index]
        if obs is None or session.site == "snapshot":
            return
        live_url = self._url_of(obs)
        moved = session.is_web and step.url and self._recorded_url(step) != live_url
        recorded = step.page
        if not moved and (recorded is None or recorded == obs.html or recorded == mask_form_values(obs.html)):
            return  # the recorder masks form values by default
        difference = page_difference(step, live_url, obs.html, recorded_url=self._recorded_url(step))
        message = f"Session {session.id!r} step {index}: {difference}"
        if index:
            came, then = describe_action(session.steps[index - 1].action), describe_action(step.action)
            message += f" (the page step {index - 1}'s action {came} led to, where the person did {then})"
        if self.strict:
            raise ReplayDivergenceError(message)
        if session.id not in self._warned:
            self._warned.add(session.id)
            logger.warn(message)

    def _site_name(self) -> str | None:
        return None if self.session.site == "snapshot" else self.session.site

    def _url(self) -> str:
        """The page's URL as a path under the replayed site (so it is the same on any port or base
        URL), absolute when the page is elsewhere; a snapshot's URL as recorded."""
        return "" if self._obs is None else self._url_of(self._obs)

    def _url_of(self, obs: Observation) -> str:
        return obs.url if self.session.site == "snapshot" else relative_url(obs.url, self.site_url())

    def _recorded_url(self, step: Step) -> str:
        """A step's recorded URL in the form ``_url`` gives: rebased from the session's origin."""
        origin = self.session.origin
        return rebase_url(step.url, origin, self.site_url()) if origin is not None else step.url

    def _persona(self) -> str:
        return persona_text(self.session)


def _replay_op(tab: Tab, *, op: StepOp, then: str | None) -> Observation:
    return replay_operation(tab, op.op, op.name, op.text, then)


# -- divergence messages: what differs, never a guessed cause ---------------------------------
_NAME_ATTR = re.compile(r'\sname="([^"]*)"')


def page_difference(step: Step, live_url: str, live_page: str, *, recorded_url: str | None = None) -> str:
    """How the live page differs from the one recorded at ``step``: the URL, else the first line.
    ``recorded_url`` is the step's URL rebased where the replay runs (a web session's), when it is not ``step.url``."""
    recorded_url = step.url if recorded_url is None else recorded_url
    if recorded_url and recorded_url != live_url:
        return f"the recording was at URL {recorded_url!r}, the live replay is at {live_url!r}."
    if step.page is None:
        return "the recording keeps no page for this step to compare with."
    where = first_difference(step.page, live_page)
    return (
        f"the live page differs from the recorded one at {where}."
        if where
        else "the live page is the same as the recorded one."
    )


def cannot_replay(
    session: Session,
    index: int,
    live_url: str,
    live_page: str,
    err: ActionError,
    *,
    recorded_url: str | None = None,
) -> ReplayDivergenceError:
    """The error for a human action that failed on the live page, saying what differs from the
    recording, or that the recording lacks what the step needs (then the site is not to blame)."""
    step = session.steps[index]
    if recorded_url is not None and recorded_url != step.url:
        step = dataclasses.replace(step, url=recorded_url)  # compared where the replay runs
    facts = [
        f"Session {session.id!r} step {index}: the human's action {describe_action(step.action)} "
        f"cannot be replayed: {err}"
    ]
    incomplete = False
    if not step.url:
        facts.append("The recording has no URL for this step.")
        incomplete = True
    if step.page is None:
        facts.append(
            "The recording keeps no page for this step, so what the person saw cannot be compared with the live page"
            + (f" (live URL {live_url!r})." if not step.url or step.url == live_url else ".")
        )
    elif step.action.name not in {html.unescape(n) for n in _NAME_ATTR.findall(step.page)}:
        facts.append(
            f"The recorded page of this step has no element named {step.action.name!r} either: the recording "
            "itself is incomplete or inconsistent at this step."
        )
        incomplete = True
    if step.url and (step.page is not None or step.url != live_url):
        difference = page_difference(step, live_url, live_page)
        facts.append(difference[0].upper() + difference[1:])
    if incomplete:
        facts.append("Fix this step in the session file or re-record the session.")
    elif isinstance(err, ElementNotFoundError) or step.url != live_url:
        facts.append("If the site was changed on purpose, re-record or regenerate the session for this version.")
    return ReplayDivergenceError(" ".join(facts), incomplete_recording=incomplete)
