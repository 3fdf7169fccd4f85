"""Agent output (issue 10): thousands of generated outputs through the parser, a live ``env.step``
and the LLM agents' decoding; nothing crashes, and every invalid output is reported with its reason.

Generated with hypothesis, derandomized so that CI sees the same examples every run. The parser is
checked against an independent statement of the paper's action schema (``_schema_valid``), so a
parser that accepted a wrong action or refused a right one fails here, not only one that crashes.
"""

from __future__ import annotations

from collections.abc import Iterator
import http.server
import json
import threading
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest

from webmimic.core.actions import ACTION_TYPES, MAX_OUTPUT_CHARS, Action, AgentOutput, parse_agent_output
from webmimic.core.errors import ActionParseError

# Deterministic examples (CI), no per-example deadline (a browser step takes its time).
FAST = settings(
    derandomize=True, database=None, deadline=None, max_examples=600, suppress_health_check=[HealthCheck.too_slow]
)
SLOW = settings(FAST, max_examples=200)
FEW = settings(FAST, max_examples=12)

# -- strategies ---------------------------------------------------------------------------------
CSS_META = "\"'[]#.:>~+*=^$|\\(),{}/ \n\t\x00\u200b<>&;`"
names = st.one_of(
    st.sampled_from(["search_input", "search_button", "nav_bar.home", "buy_now"]),
    st.from_regex(r"[a-z_]{1,12}(\.[a-z_0-9]{1,12}){0,3}", fullmatch=True),
    st.text(alphabet=st.sampled_from(CSS_META) | st.characters(), max_size=40),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
action_dicts = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from((*ACTION_TYPES, "scroll", "Click", "", " click")) | json_values,
        "name": names | json_values,
        "text": st.text(max_size=30) | json_values,
        "target": json_values,
    },
)
outputs = st.one_of(
    action_dicts,
    st.fixed_dictionaries(
        {"action": action_dicts | json_values}, optional={"rationale": st.text(max_size=40) | json_values}
    ),
)
prose = st.text(alphabet=st.characters(exclude_characters="{"), max_size=60)
control_text = st.text(alphabet=st.characters(categories=["Cc", "Cs", "Co", "Zl", "Zp"]), max_size=80)
raw_text = st.one_of(st.text(max_size=300), control_text, st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


def _schema_valid_action(data: Any) -> bool:
    """The paper's action schema, stated again independently of webmimic.core.actions."""
    if not isinstance(data, dict) or "type" not in data or set(data) - {"type", "name", "text"}:
        return False
    kind, name, text = data["type"], data.get("name"), data.get("text")
    if kind == "terminate":
        return name is None and text is None
    if kind not in ("click", "type_and_submit") or not isinstance(name, str) or not name.strip():
        return False
    return isinstance(text, str) if kind == "type_and_submit" else text is None


def _schema_valid(obj: dict[str, Any]) -> bool:
    if "action" in obj:
        rationale = obj.get("rationale")
        return (rationale is None or isinstance(rationale, str)) and _schema_valid_action(obj["action"])
    return _schema_valid_action(obj)


def assert_judged(output: Any) -> AgentOutput:
    """Parsing never raises; an output is valid with an action, or invalid with a reason."""
    parsed = AgentOutput.parse(output)
    if parsed.action is None:
        assert isinstance(parsed.error, str) and len(parsed.error) > 10, parsed
    else:
        assert parsed.error is None
        assert _schema_valid_action(parsed.action.to_dict())
        assert AgentOutput.parse(parsed.action.to_json()).action == parsed.action  # it round-trips
    assert isinstance(parsed.raw, str)
    return parsed


# -- the parser ---------------------------------------------------------------------------------
@FAST
@given(outputs)
def test_generated_objects_are_judged_exactly_by_the_schema(obj):
    parsed = assert_judged(obj)
    assert (parsed.action is not None) == _schema_valid(obj), (obj, parsed.error)


@FAST
@given(outputs, prose, prose, st.sampled_from(["{}", "```json\n{}\n```", "Answer: {} Done.", "{}\n{}"]))
def test_the_same_objects_as_model_text_are_judged_the_same(obj, before, after, frame):
    text = before + frame.replace("{}", json.dumps(obj), 1).replace("{}", "") + after
    parsed = assert_judged(text)
    expected = ("action" in obj or "type" in obj) and _schema_valid(obj)
    assert (parsed.action is not None) == expected, (text, parsed.error)
    if expected:
        wanted, rationale = parse_agent_output(obj)
        assert parsed.action == wanted and parsed.rationale == rationale


@FAST
@given(raw_text)
def test_random_text_and_control_characters_never_crash(text):
    parsed = assert_judged(text)
    if "{" not in text:
        assert parsed.action is None and "No JSON action found" in (parsed.error or "")


VALID = [
    '{"rationale": "cheap ones", "action": {"type": "click", "name": "search_results.acme.view_product"}}',
    '{"type": "type_and_submit", "name": "search_input", "text": "red shoes"}',
    '{"type": "terminate"}',
]


@FAST
@given(
    st.sampled_from(VALID),
    st.lists(st.tuples(st.sampled_from(["delete", "insert", "cut", "quote"]), st.integers(0, 200), st.characters())),
)
def test_near_miss_json_is_reported_not_raised(text, edits):
    for op, at, char in edits:
        at %= len(text) + 1
        if op == "delete":
            text = text[:at] + text[at + 1 :]
        elif op == "insert":
            text = text[:at] + char + text[at:]
        elif op == "cut":
            text = text[:at]
        else:
            text = text.replace('"', "'", 1) if at % 2 else text.replace(":", "=", 1)
    assert_judged(text)


@FAST
@given(names)
def test_names_with_quotes_and_css_metacharacters_are_kept_verbatim(name):
    parsed = assert_judged(json.dumps({"type": "click", "name": name}))
    if name.strip():
        assert parsed.action == Action.click(name)
    else:
        assert parsed.action is None and "non-empty string 'name'" in (parsed.error or "")


@FEW
@given(st.integers(0, 3 * MAX_OUTPUT_CHARS), st.sampled_from([" ", "x", "é", "\x00"]))
def test_huge_outputs_are_refused_past_the_limit_and_parsed_below_it(padding, char):
    text = char * padding + VALID[2]
    parsed = assert_judged(text)
    assert (parsed.action is not None) == (len(text) <= MAX_OUTPUT_CHARS)
    if parsed.action is None:
        assert f"{len(text):,} characters" in (parsed.error or "")


@FEW
@given(st.integers(1, 4_000), st.sampled_from(['{"a":', '{"type":', "[", '{"action":']), st.booleans())
def test_deep_nesting_is_reported_not_a_recursion_error(depth, opener, closed):
    closer = "]" if opener == "[" else "}"
    text = opener * depth + ("1" + closer * depth if closed else "")
    parsed = assert_judged(text[:MAX_OUTPUT_CHARS] + " then " + VALID[2])
    if len(text) + 6 + len(VALID[2]) <= MAX_OUTPUT_CHARS:
        assert parsed.action == Action.terminate()  # the action after the nesting is still found


@FEW
@given(st.integers(1, 50_000))
def test_deeply_nested_objects_are_reported_not_a_recursion_error(depth):
    obj: Any = {"type": "click", "name": "x"}
    for _ in range(depth):
        obj = {"action": obj}
    parsed = assert_judged(obj)
    assert (parsed.action is not None) == (depth == 1)


def test_values_whose_repr_or_sort_would_fail_are_reported():
    """Two crashes found here: a type nested 2,000 deep (its repr recursed) and mixed-type keys."""
    deep = '{"type":' * 2000 + "1" + "}" * 2000
    assert "Unknown action type of type dict" in (assert_judged(deep).error or "")
    mixed = assert_judged({1: 2, "x": 3, "type": "click", "name": "a"})
    assert "Unexpected action key(s) 'x', int" in (mixed.error or "")


def test_an_output_of_another_type_is_invalid_with_its_type():
    for output in (None, 3, 2.5, ["click"], b'{"type": "terminate"}', object()):
        parsed = assert_judged(output)
        assert parsed.action is None and type(output).__name__ in (parsed.error or "")
    with pytest.raises(ActionParseError):
        parse_agent_output(None)  # type: ignore[arg-type]


# -- a live env.step ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def free_env(wm_browser) -> Iterator[Any]:
    """One Replay-v0 (free run: the agent's actions drive the browser) for every example."""
    from webmimic.envs.replay_env import ReplayEnv

    env = ReplayEnv(browser=wm_browser, follow="agent")
    env.reset(seed=0)
    yield env
    env.close()


env_outputs = st.one_of(
    raw_text,
    outputs.map(json.dumps),
    names.map(lambda n: json.dumps({"rationale": "r", "action": {"type": "click", "name": n}})),
    st.tuples(names, st.text(max_size=40)).map(
        lambda nt: json.dumps({"type": "type_and_submit", "name": nt[0], "text": nt[1]})
    ),
)


@SLOW
@given(env_outputs)
def test_a_live_env_step_reports_every_invalid_output(free_env, output):
    before = free_env._runtime.tab.last_observation
    obs, reward, terminated, truncated, info = free_env.step(output)
    parsed = AgentOutput.parse(output)
    assert free_env.observation_space.contains(obs)
    if parsed.action is None:
        assert info["error"] == parsed.error and info["agent_action"] is None and reward == 0.0
    else:
        assert info["agent_action"] == parsed.action.to_dict()
        if parsed.action.type != "terminate" and before is not None and parsed.action.name not in before.names:
            assert info["error"].startswith("ElementNotFoundError: No element named")
            assert "named element" in info["error"] or "names on the page" in info["error"]
    if terminated or truncated:
        free_env.reset()


# -- the LLM agents' decoding -------------------------------------------------------------------
class _Answers(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint answering whatever the test put in ``content``."""

    content: Any = None

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"choices": [{"message": {"role": "assistant", "content": type(self).content}}]})
        data = body.encode("utf-8", "surrogatepass")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def chat_agent() -> Iterator[Any]:
    from webmimic.agents.openai_chat import ChatSettings, OpenAIChatAgent

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        yield OpenAIChatAgent("fuzz", url, ChatSettings(retries=0, timeout_s=10))
    finally:
        server.shutdown()
        server.server_close()


OBSERVATION = {"page": '<body><input name="search_input"></body>', "url": "/", "history": (), "persona": ""}


@settings(FAST, max_examples=400)
@given(st.one_of(raw_text, outputs.map(json.dumps), json_values, outputs))
def test_a_chat_model_s_answers_are_decoded_and_judged(chat_agent, content):
    _Answers.content = content
    answer = chat_agent.act(OBSERVATION)
    assert isinstance(answer, str)
    assert_judged(answer)
    if isinstance(content, str):
        assert answer == content


@pytest.fixture(scope="module")
def bundled_tokenizer() -> Any:
    """The tokenizer HFAgent decodes the bundled model's tokens with, loaded the same safe way."""
    from transformers import AutoTokenizer

    from webmimic.agents.bundled import bundled_folder

    return AutoTokenizer.from_pretrained(bundled_folder(), local_files_only=True, trust_remote_code=False)


@settings(FAST, max_examples=300)
@given(st.data())
def test_any_token_sequence_a_model_can_emit_decodes_to_a_judged_output(bundled_tokenizer, data):
    ids = data.draw(st.lists(st.integers(0, len(bundled_tokenizer) - 1), max_size=256))
    text = str(bundled_tokenizer.decode(ids, skip_special_tokens=True))  # as HFAgent.complete does
    assert_judged(text)
    answer = data.draw(outputs.map(json.dumps))  # a well-formed answer survives its own tokenization
    again = str(bundled_tokenizer.decode(bundled_tokenizer.encode(answer, add_special_tokens=False)))
    assert AgentOutput.parse(again).action == AgentOutput.parse(answer).action
