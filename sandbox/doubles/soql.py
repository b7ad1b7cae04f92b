"""The SOQL subset the pipeline needs, with Salesforce's error codes and messages.

    SELECT f1, f2 | COUNT() FROM Obj
      [WHERE cond {AND|OR cond}]   cond: f op literal | f [NOT] IN (...) | f LIKE '...' | NOT cond | (expr)
      [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]

Like Salesforce: keywords, object and field names are case-insensitive; string
comparisons ignore case; a datetime field only compares to an unquoted datetime literal
with a zone (2026-01-01T00:00:00Z), a date field to an unquoted date; unknown fields give
INVALID_FIELD with the "No such column" message and a caret at the offending column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from collections.abc import Callable

from sandbox.doubles.salesforce_schema import Field, SObject, normalize_id


class SoqlError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][A-Za-z0-9_.:]*)
""", re.VERBOSE)

_CUSTOM_HINT = ("If you are attempting to use a custom field, be sure to append the '__c' after the "
                "custom field name. Please reference your WSDL or the describe call for the "
                "appropriate names.")


@dataclass
class Token:
    kind: str
    text: str
    col: int  # 1-based, as in "ERROR at Row:1:Column:N"

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass
class Query:
    sobject: SObject
    fields: list[Field]  # empty for COUNT()
    count_only: bool = False
    where: Callable[[dict], bool] | None = None
    order: list[tuple[Field, bool, bool]] = field(default_factory=list)  # field, desc, nulls_first
    limit: int | None = None
    offset: int = 0

    def run(self, records: list[dict]) -> list[dict]:
        rows = [r for r in records if self.where is None or self.where(r)]
        for f, desc, nulls_first in reversed(self.order):  # stable multi-key sort
            present = [r for r in rows if r.get(f.name) is not None]
            missing = [r for r in rows if r.get(f.name) is None]
            present.sort(key=lambda r: comparable(f, r[f.name]), reverse=desc)
            rows = missing + present if nulls_first else present + missing
        rows = rows[self.offset:]
        return rows if self.limit is None else rows[:self.limit]


def comparable(f: Field, value: Any) -> Any:
    """A record value (JSON form) as something Python can compare like Salesforce does."""
    if value is None:
        return None
    if f.type == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if f.type == "date":
        return date.fromisoformat(value)
    if f.type in ("int", "double", "currency"):
        return float(value)
    if f.type == "boolean":
        return bool(value)
    if f.type in ("id", "reference"):
        return normalize_id(value) or value
    return str(value).lower()


class _Parser:
    def __init__(self, soql: str, objects: dict[str, SObject]):
        self.soql = soql
        self.objects = {name.lower(): o for name, o in objects.items()}
        self.tokens = self._tokenize(soql)
        self.pos = 0
        self.sobject: SObject | None = None

    # --- tokens ---
    def _tokenize(self, text: str) -> list[Token]:
        tokens, i = [], 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if not m:
                raise self._malformed(text[i:].split()[0], i + 1)
            if m.lastgroup != "ws":
                tokens.append(Token(m.lastgroup, m.group(), i + 1))
            i = m.end()
        return tokens

    def _malformed(self, text: str, col: int) -> SoqlError:
        return SoqlError("MALFORMED_QUERY", self._caret(col, f"unexpected token: '{text}'"))

    def _caret(self, col: int, message: str) -> str:
        return f"\n{self.soql}\n{' ' * (col - 1)}^\nERROR at Row:1:Column:{col}\n{message}"

    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", self._caret(len(self.soql) + 1, "unexpected token: <EOF>"))
        self.pos += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.upper in words

    def expect_word(self, word: str) -> Token:
        token = self.next()
        if token.kind != "word" or token.upper != word:
            raise self._malformed(token.text, token.col)
        return token

    def expect_punct(self, char: str) -> Token:
        token = self.next()
        if token.text != char:
            raise self._malformed(token.text, token.col)
        return token

    # --- grammar ---
    def parse(self) -> Query:
        self.expect_word("SELECT")
        count_only, names = False, []
        if self.at_word("COUNT") and self.peek(1) is not None and self.peek(1).text == "(":
            self.next(), self.expect_punct("("), self.expect_punct(")")
            count_only = True
        else:
            names.append(self.next())
            while self.peek() is not None and self.peek().text == ",":
                self.next()
                names.append(self.next())
        self.expect_word("FROM")
        obj_token = self.next()
        self.sobject = self.objects.get(obj_token.text.lower())
        if self.sobject is None:
            raise SoqlError("INVALID_TYPE", self._caret(obj_token.col, (
                f"sObject type '{obj_token.text}' is not supported. If you are attempting to use a "
                "custom object, be sure to append the '__c' after the entity name. Please reference "
                "your WSDL or the describe call for the appropriate names.")))
        fields, seen = [], set()
        for token in names:
            f = self.field(token)
            if f.name in seen:
                raise SoqlError("MALFORMED_QUERY", self._caret(token.col, f"duplicate field selected: {f.name}"))
            seen.add(f.name)
            fields.append(f)
        query = Query(self.sobject, fields, count_only)
        if self.at_word("WHERE"):
            self.next()
            query.where = self.expr()
        if self.at_word("ORDER"):
            self.next(), self.expect_word("BY")
            query.order.append(self.order_item())
            while self.peek() is not None and self.peek().text == ",":
                self.next()
                query.order.append(self.order_item())
        if self.at_word("LIMIT"):
            self.next()
            query.limit = self.integer()
        if self.at_word("OFFSET"):
            self.next()
            query.offset = self.integer()
            if query.offset > 2000:
                raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000")
        if self.peek() is not None:
            raise self._malformed(self.peek().text, self.peek().col)
        return query

    def field(self, token: Token) -> Field:
        if token.kind != "word":
            raise self._malformed(token.text, token.col)
        f = self.sobject.field(token.text)
        if f is None:
            raise SoqlError("INVALID_FIELD", self._caret(token.col, (
                f"No such column '{token.text}' on entity '{self.sobject.name}'. {_CUSTOM_HINT}")))
        return f

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            raise self._malformed(token.text, token.col)
        return int(token.text)

    def order_item(self) -> tuple[Field, bool, bool]:
        f = self.field(self.next())
        desc = False
        if self.at_word("ASC", "DESC"):
            desc = self.next().upper == "DESC"
        nulls_first = not desc
        if self.at_word("NULLS"):
            self.next()
            token = self.next()
            if token.upper not in ("FIRST", "LAST"):
                raise self._malformed(token.text, token.col)
            nulls_first = token.upper == "FIRST"
        return f, desc, nulls_first

    def expr(self) -> Callable[[dict], bool]:
        parts = [self.term()]
        while self.at_word("OR"):
            self.next()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def term(self) -> Callable[[dict], bool]:
        parts = [self.factor()]
        while self.at_word("AND"):
            self.next()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def factor(self) -> Callable[[dict], bool]:
        if self.at_word("NOT"):
            self.next()
            inner = self.factor()
            return lambda r: not inner(r)
        if self.peek() is not None and self.peek().text == "(":
            self.next()
            inner = self.expr()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Callable[[dict], bool]:
        f = self.field(self.next())
        if f.type == "textarea":
            raise SoqlError("INVALID_FIELD", self._caret(
                self.tokens[self.pos - 1].col, f"field '{f.name}' can not be filtered in a query call"))
        negate_in = False
        if self.at_word("NOT") and self.peek(1) is not None and self.peek(1).upper == "IN":
            self.next()
            negate_in = True
        if self.at_word("IN"):
            self.next()
            self.expect_punct("(")
            values = [self.literal(f)]
            while self.peek() is not None and self.peek().text == ",":
                self.next()
                values.append(self.literal(f))
            self.expect_punct(")")
            wanted = {v for v in values}

            def member(r, f=f):
                value = comparable(f, r.get(f.name))
                return (value in wanted) != negate_in
            return member
        if self.at_word("LIKE"):
            self.next()
            token = self.next()
            if token.kind != "string":
                raise self._malformed(token.text, token.col)
            pattern = _like_regex(_unquote(token.text))
            return lambda r, f=f: r.get(f.name) is not None and bool(pattern.fullmatch(str(r[f.name])))
        op = self.next()
        if op.kind != "op":
            raise self._malformed(op.text, op.col)
        value = self.literal(f)
        return _compare(f, op.text, value)

    def literal(self, f: Field) -> Any:
        token = self.next()
        if token.kind == "word" and token.upper == "NULL":
            return None
        kind = {"datetime": "datetime", "date": "date", "boolean": "boolean",
                "int": "number", "double": "number", "currency": "number"}.get(f.type, "string")
        if kind in ("datetime", "date"):
            wanted = "datetime" if kind == "datetime" else "date"
            if token.kind != wanted:
                type_name = "dateTime" if kind == "datetime" else "date"
                raise SoqlError("INVALID_FIELD", self._caret(token.col, (
                    f"value of filter criterion for field '{f.name}' must be of type {type_name} "
                    "and should not be enclosed in quotes")))
            return comparable(f, token.text)
        if kind == "boolean":
            if token.kind != "word" or token.upper not in ("TRUE", "FALSE"):
                raise SoqlError("INVALID_FIELD", self._caret(token.col, (
                    f"value of filter criterion for field '{f.name}' must be of type boolean "
                    "and should not be enclosed in quotes")))
            return token.upper == "TRUE"
        if kind == "number":
            if token.kind != "number":
                raise SoqlError("INVALID_FIELD", self._caret(token.col, (
                    f"value of filter criterion for field '{f.name}' must be of type "
                    f"{'double' if f.type != 'int' else 'integer'} and should not be enclosed in quotes")))
            return float(token.text)
        if token.kind != "string":
            raise self._malformed(token.text, token.col)
        return comparable(f, _unquote(token.text))


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text[1:-1])


def _like_regex(pattern: str) -> re.Pattern:
    out = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(out, re.IGNORECASE | re.DOTALL)


def _compare(f: Field, op: str, value: Any) -> Callable[[dict], bool]:
    def check(record: dict) -> bool:
        actual = comparable(f, record.get(f.name))
        if op in ("=", "!=", "<>"):
            equal = actual == value
            return equal if op == "=" else not equal
        if actual is None or value is None:
            return False
        return {"<": actual < value, "<=": actual <= value,
                ">": actual > value, ">=": actual >= value}[op]
    return check


def parse_soql(soql: str, objects: dict[str, SObject]) -> Query:
    if not soql or not soql.strip():
        raise SoqlError("MALFORMED_QUERY", "A query string is required")
    return _Parser(soql.strip(), objects).parse()
