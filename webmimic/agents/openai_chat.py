"""``openai:MODEL@URL``: any OpenAI-compatible chat endpoint as a shopper (a local
``transformers serve``, vLLM, or a hosted API).

The prompt is the same as for ``hf:`` agents; its token budget is estimated (the server's
tokenizer is not known here: ``CHARS_PER_TOKEN`` characters per token, on the safe side). Each
request has a timeout; connection failures, timeouts, 429 and 5xx answers are retried with
exponential backoff, other errors are not. The API key comes from ``OPENAI_API_KEY`` (or
``WEBMIMIC_API_KEY``), never from the spec, so it stays out of run directories. Plain
``urllib``: no client library needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
import os
import time
from typing import Any
import urllib.error
import urllib.request

from webmimic.agents.base import Agent
from webmimic.agents.prompt import Message, build_messages, fit_messages, unanswerable
from webmimic.core.actions import AgentOutput
from webmimic.core.errors import AgentBackendError, PromptTooLongError

__all__ = ["ChatSettings", "OpenAIChatAgent", "parse_spec"]

CHARS_PER_TOKEN = 3
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
KEY_VARIABLES = ("WEBMIMIC_API_KEY", "OPENAI_API_KEY")


@dataclass(frozen=True)
class ChatSettings:
    """Request settings; ``temperature`` 0 is greedy."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    context_tokens: int = 8192
    rationales: bool = True
    timeout_s: float = 120.0
    retries: int = 3
    backoff_s: float = 1.0


def parse_spec(spec: str) -> tuple[str, str]:
    """(model, base URL) of ``openai:MODEL@URL``; ValueError saying the expected form."""
    model, _, url = spec.removeprefix("openai:").rpartition("@")
    if not model or not url.startswith(("http://", "https://")):
        raise ValueError(
            f"Agent spec {spec!r}: expected openai:MODEL@URL, e.g. openai:my-model@http://127.0.0.1:8000/v1."
        )
    return model, url.rstrip("/")


def _estimate(messages: Sequence[Message]) -> int:
    return sum(len(m["content"]) + 8 for m in messages) // CHARS_PER_TOKEN + 1


class OpenAIChatAgent(Agent):
    """Sends the paper's prompt to ``URL/chat/completions`` and returns the answer's text."""

    def __init__(self, model: str, base_url: str, settings: ChatSettings | None = None) -> None:
        self.model = model
        self.url = f"{base_url}/chat/completions"
        self.settings = settings or ChatSettings()
        self.name = f"openai:{model}@{base_url}"
        self._key = next((os.environ[v] for v in KEY_VARIABLES if os.environ.get(v)), None)

    def act(self, observation: Mapping[str, Any]) -> str | AgentOutput:
        try:
            return self.complete(build_messages(observation, rationales=self.settings.rationales))
        except PromptTooLongError as err:
            return unanswerable(err)

    def complete(self, messages: Sequence[Message]) -> str:
        """The model's answer to chat messages whose last one is a page turn, fitted to the context."""
        prompt = fit_messages(messages, self.settings.context_tokens - self.settings.max_tokens, _estimate)
        body = {
            "model": self.model,
            "messages": list(prompt.messages),
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
            "top_p": self.settings.top_p,
            "seed": self.settings.seed,
        }
        answer = self._post(body)
        try:
            return str(answer["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as err:
            raise AgentBackendError(f"{self.url} answered without choices[0].message.content: {answer!r:.300}") from err

    def _post(self, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        data = json.dumps(body).encode("utf-8")
        last = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(self.settings.backoff_s * 2 ** (attempt - 1))  # backoff before a retry
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.settings.timeout_s) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as err:
                detail = err.read().decode("utf-8", "replace")[:300]
                if err.code not in TRANSIENT_STATUS:
                    raise AgentBackendError(f"{self.url} answered HTTP {err.code}: {detail}") from err
                last = f"HTTP {err.code}: {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
                last = str(getattr(err, "reason", err))
            except ValueError as err:
                raise AgentBackendError(f"{self.url} answered with something that is not JSON: {err}") from err
        raise AgentBackendError(
            f"{self.url} failed {self.settings.retries + 1} times ({last}); is the server running and the URL right?"
        )
