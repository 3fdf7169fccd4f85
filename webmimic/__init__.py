"""webmimic: measure how exactly LLM agents imitate real shoppers, step by step, in a live browser.

Importing it registers ``webmimic/Replay-v0`` and ``webmimic/Shop-v0`` with gymnasium (their
entry points stay lazy: no browser is loaded until an env is made).
"""

from importlib.metadata import PackageNotFoundError, version

import webmimic.envs  # noqa: F401 (imported for its registration of the envs)

try:
    __version__ = version("webmimic")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
