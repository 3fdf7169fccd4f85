"""``openai:MODEL@URL`` agents against a real ``transformers serve`` on 127.0.0.1, and the retry policy."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from tiny_model import build_tiny_model
from webmimic.agents import make_agent
from webmimic.agents.openai_chat import ChatSettings, OpenAIChatAgent, parse_spec
from webmimic.core.errors import AgentBackendError
from webmimic.envs.replay_env import ReplayEnv

FAST_RETRY = ChatSettings(max_tokens=8, retries=2, backoff_s=0.01, timeout_s=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A tiny local model behind `transformers serve`, started here and stopped by pid."""
    model = build_tiny_model(tmp_path_factory.mktemp("served") / "model", context=16384)
    port = free_port()
    cli = shutil.which("transformers", path=os.path.dirname(sys.executable))
    assert cli is not None, "the transformers CLI is part of the test set-up (transformers[serving])"
    proc = subprocess.Popen(
        [cli, "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the server says when it listens; no polling, no sleeps
            if "Uvicorn running on" in line:
                break
        else:
            pytest.fail(f"transformers serve exited with {proc.wait()} before listening")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining its log
        yield str(model), f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_spec_names_model_and_url():
    assert parse_spec("openai:my/model@http://127.0.0.1:8000/v1/") == ("my/model", "http://127.0.0.1:8000/v1")
    with pytest.raises(ValueError, match="openai:MODEL@URL"):
        make_agent("openai:no-url")


def test_a_served_model_plays_replay_steps(served, wm_browser):
    model, url = served
    agent = make_agent(f"openai:{model}@{url}")
    assert isinstance(agent, OpenAIChatAgent)
    with ReplayEnv(browser=wm_browser) as env:
        obs, info = env.reset(seed=1, options={"step": 1})
        agent.reset(env, info)
        for _ in range(2):
            raw = agent.act(obs)
            obs, _, _, _, info = env.step(raw)
            assert isinstance(raw, str) and info["raw_output"] == raw


def test_a_wrong_model_name_fails_at_once_with_the_servers_reason(served):
    _, url = served
    agent = OpenAIChatAgent("not-the-served-model", url, FAST_RETRY)
    with pytest.raises(AgentBackendError, match="HTTP 400"):
        agent.act({"page": "<body></body>", "url": "/", "history": ()})


def test_an_unreachable_server_is_retried_then_reported():
    agent = OpenAIChatAgent("m", f"http://127.0.0.1:{free_port()}/v1", FAST_RETRY)
    with pytest.raises(AgentBackendError, match="failed 3 times"):
        agent.act({"page": "<body></body>", "url": "/", "history": ()})


def test_transient_errors_are_retried_and_the_key_comes_from_the_environment(monkeypatch):
    seen: list[tuple[str | None, dict]] = []

    class Flaky(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.headers.get("Authorization"), body))
            if len(seen) == 1:
                self.send_response(503)
                self.end_headers()
                return
            answer = {"choices": [{"message": {"role": "assistant", "content": '{"type": "terminate"}'}}]}
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        agent = OpenAIChatAgent("m", f"http://127.0.0.1:{server.server_address[1]}/v1", FAST_RETRY)
        answer = agent.act({"page": '<body><a name="x">x</a></body>', "url": "/", "history": (), "persona": "P"})
    finally:
        server.shutdown()
        server.server_close()
    assert answer == '{"type": "terminate"}' and len(seen) == 2
    assert all(auth == "Bearer sk-test" for auth, _ in seen)
    assert seen[1][1]["messages"][0]["role"] == "system" and seen[1][1]["temperature"] == 0.0
