"""One error shape for every refusal: `{"error": code, "message": text, "problems": [...]}`.

A problem is `{"path", "value", "fix", "message"}`, taken from the package's one-line problems
("tickets[3].duration_min: got -5; fix: ..."), so an integrator can point at the field."""

from __future__ import annotations

import re
from typing import Any

_GOT = re.compile(r"\bgot (.+?)(?:;|$)")


class ApiError(Exception):
    """A refusal with its HTTP status; the message names the fix."""

    def __init__(
        self, status: int, code: str, message: str, problems: list[str] = (), **extra: Any
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.problems, self.extra = list(problems), extra

    def body(self) -> dict:
        return error_body(self.code, self.message, self.problems, **self.extra)


def problem(line: str) -> dict:
    """A package problem line as fields: where, the value given, and the fix."""
    path, sep, rest = line.partition(": ")
    if not sep:
        path, rest = "", line
    got = _GOT.search(rest)
    fix = rest.split("fix: ", 1)[1] if "fix: " in rest else None
    return {"path": path, "value": got.group(1) if got else None, "fix": fix, "message": line}


def error_body(code: str, message: str, problems: list[str] = (), **extra: Any) -> dict:
    return {"error": code, "message": message, "problems": [problem(p) for p in problems], **extra}


def invalid(problems: list[str], what: str = "request") -> ApiError:
    n = len(problems)
    return ApiError(422, "invalid", f"the {what} has {n} problem{'s' * (n != 1)}", problems)


def pydantic_lines(errors: list[dict], root: str = "body") -> list[str]:
    """FastAPI/pydantic validation errors as the package's problem lines."""
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x != "body"]
        path = root + "".join(f"[{x}]" if x.isdigit() else f".{x}" for x in loc)
        kind = e.get("type", "")
        value = e.get("input")
        if kind == "extra_forbidden":
            fix = "remove it (see /docs for the fields)"
            out.append(f"{path}: unknown field; fix: {fix}")
        elif kind == "missing":
            out.append(f"{path}: missing; fix: give it (see /docs)")
        else:
            shown = repr(value)[:60]
            out.append(f"{path}: got {shown}; {e.get('msg', 'invalid')}; fix: see /docs")
    return out
