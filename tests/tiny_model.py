"""A tiny Llama-style model built on the spot, in Hugging Face format, for the code paths a 7B uses.

Random weights (its output is nonsense, which the env must survive), a byte-level BPE tokenizer
trained here on shop-like text, and a ChatML chat template; saved with safetensors. Built by
the same functions as ``webmimic train --preset tiny``, only smaller.
"""

from __future__ import annotations

from pathlib import Path

from webmimic.agents.train import CHATML_TRAINING_TEMPLATE, tiny_model, tiny_tokenizer

TEXTS = [
    '{"rationale": "I want headphones.", "action": {"type": "click", "name": "search_results.acme.view_product"}}',
    '<body><a name="nav_bar.home">shop</a><input name="search_input" type="text"><button>Search</button></body>',
    '{"type": "type_and_submit", "name": "search_input", "text": "wireless headphones"} {"type": "terminate"}',
]


def build_tiny_model(folder: Path, *, context: int = 16384, seed: int = 0) -> Path:
    tokenizer = tiny_tokenizer(TEXTS * 20, vocab_size=512)
    tokenizer.chat_template = CHATML_TRAINING_TEMPLATE
    tiny_model(tokenizer, context, seed, width=32, layers=2).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
