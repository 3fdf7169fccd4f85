"""webmimic/Shop-v0: free shopping toward an intent, rated from the shop's own state."""

from __future__ import annotations

import gymnasium as gym
from gymnasium.utils.env_checker import check_env
import pytest

from webmimic.envs.shop_env import ShopEnv
from webmimic.sites.shop.catalog import Catalog
from webmimic.sites.shop.intent import Intent, rate_purchase


@pytest.fixture()
def env(wm_browser):
    env = ShopEnv(browser=wm_browser)
    yield env
    env.close()


def test_check_env_passes(env):
    check_env(env, skip_render_check=True)


def test_gym_make_registers_shop():
    env = gym.make("webmimic/Shop-v0")
    try:
        obs, info = env.reset(seed=5)
        assert "search_input" in obs["page"] and obs["intent"] == info["intent"]["text"]
    finally:
        env.close()


def _buy(env, intent: Intent, option_value: str | None):
    env.reset(options={"intent": intent})
    product = Catalog.open().get(intent.target)
    env.step({"type": "type_and_submit", "name": "search_input", "text": product.title})
    obs, *_ = env.step({"type": "click", "name": f"search_results.{product.slug}.view_product"})
    if option_value is not None:
        ((name, _),) = intent.options.items()
        from webmimic.core.names import slugify

        obs, *_ = env.step({"type": "click", "name": f"product_options.{slugify(name)}.{slugify(option_value)}"})
    return env.step({"type": "click", "name": "buy_now"})


def _intent_with_non_default_option() -> Intent:
    product = next(p for p in Catalog.open().products() if any(len(v) > 1 for v in p.options.values()))
    name = next(n for n, v in product.options.items() if len(v) > 1)
    return Intent(
        product.slug,
        product.category,
        product.noun,
        product.brand,
        {name: product.options[name][1]},
        budget=product.price + 10,
    )


def test_buying_the_wanted_product_with_its_option_scores_one(env):
    intent = _intent_with_non_default_option()
    _, reward, terminated, _, info = _buy(env, intent, intent.options[next(iter(intent.options))])
    assert terminated and info["outcome"] == "purchase" and reward == 1.0
    assert info["purchased"]["slug"] == intent.target


def test_wrong_option_gets_partial_credit(env):
    intent = _intent_with_non_default_option()
    _, reward, terminated, _, _ = _buy(env, intent, None)  # keeps the default option
    assert terminated and 0.5 < reward < 1.0


def test_terminate_ends_with_zero_and_bad_actions_do_not_crash(env):
    env.reset(seed=1)
    _, reward, terminated, _, info = env.step({"type": "click", "name": "no_such_button"})
    assert not terminated and "ElementNotFoundError" in info["error"]
    _, reward, terminated, _, info = env.step("not json at all")
    assert not terminated and info["error"]
    _, reward, terminated, _, info = env.step({"type": "terminate"})
    assert terminated and reward == 0.0 and info["outcome"] == "terminate"


def test_rating_counts_each_part_of_the_intent():
    catalog = Catalog.open()
    product = catalog.products()[0]
    other = next(p for p in catalog.products() if p.category != product.category)
    intent = Intent(product.slug, product.category, product.noun, product.brand, {}, budget=product.price)
    assert rate_purchase(intent, product, {}) == 1.0
    assert rate_purchase(intent, other, {}) < 0.5
