"""Synthetic shoppers of the bundled shop, and the generator of the bundled synthetic sessions.

Bound to the shop on purpose: personas draw interests from the shop's vocabulary, a shopper
chooses among the shop's element names and reads its catalog, and ``generate`` drives the live
shop through the browser layer. Sessions they make say ``source: "synthetic"``: programs, not
people. The session format they write is ``webmimic.replay``'s.
"""
