"""Agents: the interface (``Agent``), the spec strings that make one (``make_agent``), the baselines.

An agent maps an observation to its raw output; the env parses and checks it. Importing this
package loads no browser and no model.
"""

from webmimic.agents.base import AGENT_SPECS, Agent, Generation, make_agent

__all__ = ["AGENT_SPECS", "Agent", "Generation", "make_agent"]
