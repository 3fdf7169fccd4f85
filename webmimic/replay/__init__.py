"""Recorded sessions: the file format, reading and writing, validation, the bundled data, the
OPeRA importer and the recorder (``webmimic.replay.record``, imported on its own: it drives a browser).

Importing this package loads neither Playwright nor torch nor transformers.
"""

from webmimic.replay.opera import OPERA_COLUMNS, ImportSummary, import_opera, import_opera_main
from webmimic.replay.session import (
    FORMAT,
    SUPPORTED_FORMATS,
    Persona,
    Session,
    Step,
    ValidationResult,
    check_files,
    find_session,
    iter_sessions,
    read_sessions,
    validate_files,
    validate_session,
    write_sessions,
)
from webmimic.replay.validate import validate_main

__all__ = [
    "FORMAT",
    "SUPPORTED_FORMATS",
    "Persona",
    "Session",
    "Step",
    "ValidationResult",
    "check_files",
    "find_session",
    "iter_sessions",
    "read_sessions",
    "validate_files",
    "validate_session",
    "write_sessions",
    "validate_main",
    "ImportSummary",
    "OPERA_COLUMNS",
    "import_opera",
    "import_opera_main",
]
