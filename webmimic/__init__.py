"""webmimic: measure how exactly LLM agents imitate real shoppers, step by step, in a live browser."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("webmimic")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

# Registers webmimic/Replay-v0 and webmimic/Shop-v0 with gymnasium (entry points are lazy).
import webmimic.envs  # noqa: E402,F401
