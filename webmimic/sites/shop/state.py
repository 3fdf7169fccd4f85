"""Per-browser shop state (cart, saved items, address draft, checkout, orders) in SQLite.

One ``ShopState`` per app: an in-memory SQLite database behind a lock, keyed by the session id
from the browser's cookie, so each browser context sees only its own cart and parallel
replays never interfere. Everything is ordered by per-session positions and counters, never by
global row ids or clocks, so two sessions that do the same things see identical pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
import json
import sqlite3
import threading
from typing import Any

from webmimic.core.names import slugify

__all__ = ["CartLine", "Address", "OrderItem", "Order", "ShopState", "line_keys", "ADDRESS_FIELDS"]

Options = tuple[tuple[str, str], ...]

ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("full_name", "Full name"),
    ("street", "Street address"),
    ("city", "City"),
    ("zip", "ZIP code"),
)


@dataclass(frozen=True)
class CartLine:
    slug: str
    options: Options
    quantity: int


@dataclass(frozen=True)
class Address:
    full_name: str = ""
    street: str = ""
    city: str = ""
    zip: str = ""

    def missing(self) -> tuple[str, ...]:
        """Labels of the fields still empty, in form order."""
        return tuple(label for key, label in ADDRESS_FIELDS if not getattr(self, key).strip())


@dataclass(frozen=True)
class OrderItem:
    slug: str
    title: str
    options: Options
    quantity: int
    price: float


@dataclass(frozen=True)
class Order:
    number: int
    items: tuple[OrderItem, ...]
    address: Address
    total: float


def line_keys(lines: Sequence[CartLine]) -> list[str]:
    """A name part per line: the product slug, plus its option values when the slug repeats."""
    counts: dict[str, int] = {}
    for ln in lines:
        counts[ln.slug] = counts.get(ln.slug, 0) + 1
    keys = []
    for ln in lines:
        key = ln.slug
        if counts[ln.slug] > 1:
            key = slugify(" ".join([ln.slug, *(v for _, v in ln.options)]))
        keys.append(key)
    return keys


def _opts_json(options: Options) -> str:
    return json.dumps([list(o) for o in options])


def _opts(text: str) -> Options:
    return tuple((str(k), str(v)) for k, v in json.loads(text))


class ShopState:
    """All sessions' state in one in-memory SQLite database; safe to use from many threads."""

    def __init__(self, path: str = ":memory:"):
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS sessions (
                sid TEXT PRIMARY KEY, next_order INTEGER NOT NULL DEFAULT 1001,
                checkout TEXT, full_name TEXT NOT NULL DEFAULT '', street TEXT NOT NULL DEFAULT '',
                city TEXT NOT NULL DEFAULT '', zip TEXT NOT NULL DEFAULT '');
            CREATE TABLE IF NOT EXISTS cart (sid TEXT, pos INTEGER, slug TEXT, options TEXT, qty INTEGER,
                PRIMARY KEY (sid, slug, options));
            CREATE TABLE IF NOT EXISTS saved (sid TEXT, pos INTEGER, slug TEXT, options TEXT, qty INTEGER,
                PRIMARY KEY (sid, slug, options));
            CREATE TABLE IF NOT EXISTS orders (sid TEXT, number INTEGER, data TEXT, PRIMARY KEY (sid, number));
            """
        )

    @contextmanager
    def _tx(self, sid: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.execute("INSERT OR IGNORE INTO sessions(sid) VALUES (?)", (sid,))
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- cart and saved-for-later ------------------------------------------------------------
    def _lines(self, table: str, sid: str) -> tuple[CartLine, ...]:
        rows = self._rows(f"SELECT slug, options, qty FROM {table} WHERE sid = ? ORDER BY pos", (sid,))
        return tuple(CartLine(s, _opts(o), q) for s, o, q in rows)

    def cart(self, sid: str) -> tuple[CartLine, ...]:
        return self._lines("cart", sid)

    def saved(self, sid: str) -> tuple[CartLine, ...]:
        return self._lines("saved", sid)

    def cart_count(self, sid: str) -> int:
        return sum(ln.quantity for ln in self.cart(sid))

    def _put(self, conn: sqlite3.Connection, table: str, sid: str, line: CartLine, *, add: bool) -> None:
        oj = _opts_json(line.options)
        row = conn.execute(
            f"SELECT qty FROM {table} WHERE sid=? AND slug=? AND options=?", (sid, line.slug, oj)
        ).fetchone()
        if row:
            qty = min(10, row[0] + line.quantity) if add else line.quantity
            conn.execute(f"UPDATE {table} SET qty=? WHERE sid=? AND slug=? AND options=?", (qty, sid, line.slug, oj))
            return
        pos = conn.execute(f"SELECT COALESCE(MAX(pos), 0) + 1 FROM {table} WHERE sid=?", (sid,)).fetchone()[0]
        conn.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?)", (sid, pos, line.slug, oj, min(10, line.quantity)))

    def _drop(self, conn: sqlite3.Connection, table: str, sid: str, line: CartLine) -> None:
        conn.execute(
            f"DELETE FROM {table} WHERE sid=? AND slug=? AND options=?", (sid, line.slug, _opts_json(line.options))
        )

    def find(self, sid: str, key: str, *, saved: bool = False) -> CartLine | None:
        """The cart (or saved) line whose name part is ``key``."""
        lines = self.saved(sid) if saved else self.cart(sid)
        return next((ln for ln, k in zip(lines, line_keys(lines), strict=True) if k == key), None)

    def add_to_cart(self, sid: str, slug: str, options: Options, quantity: int) -> None:
        with self._tx(sid) as conn:
            self._put(conn, "cart", sid, CartLine(slug, options, quantity), add=True)

    def set_quantity(self, sid: str, line: CartLine, quantity: int) -> None:
        with self._tx(sid) as conn:
            if quantity <= 0:
                self._drop(conn, "cart", sid, line)
            else:
                self._put(conn, "cart", sid, CartLine(line.slug, line.options, quantity), add=False)

    def remove(self, sid: str, line: CartLine) -> None:
        with self._tx(sid) as conn:
            self._drop(conn, "cart", sid, line)

    def save_for_later(self, sid: str, line: CartLine) -> None:
        with self._tx(sid) as conn:
            self._drop(conn, "cart", sid, line)
            self._put(conn, "saved", sid, line, add=False)

    def move_to_cart(self, sid: str, line: CartLine) -> None:
        with self._tx(sid) as conn:
            self._drop(conn, "saved", sid, line)
            self._put(conn, "cart", sid, line, add=True)

    def delete_saved(self, sid: str, line: CartLine) -> None:
        with self._tx(sid) as conn:
            self._drop(conn, "saved", sid, line)

    # -- checkout ------------------------------------------------------------------------------
    def address(self, sid: str) -> Address:
        rows = self._rows("SELECT full_name, street, city, zip FROM sessions WHERE sid=?", (sid,))
        return Address(*rows[0]) if rows else Address()

    def save_address(self, sid: str, address: Address) -> None:
        with self._tx(sid) as conn:
            conn.execute(
                "UPDATE sessions SET full_name=?, street=?, city=?, zip=? WHERE sid=?",
                (address.full_name, address.street, address.city, address.zip, sid),
            )

    def start_checkout(self, sid: str, buy_now: CartLine | None = None) -> None:
        """Check out the cart, or (buy now) just one line, leaving the cart alone."""
        source = (
            "cart"
            if buy_now is None
            else json.dumps([buy_now.slug, [list(o) for o in buy_now.options], buy_now.quantity])
        )
        with self._tx(sid) as conn:
            conn.execute("UPDATE sessions SET checkout=? WHERE sid=?", (source, sid))

    def checkout_lines(self, sid: str) -> tuple[str | None, tuple[CartLine, ...]]:
        """(``"cart"`` | ``"buy_now"`` | None, the lines being bought)."""
        rows = self._rows("SELECT checkout FROM sessions WHERE sid=?", (sid,))
        source = rows[0][0] if rows else None
        if source is None:
            return None, ()
        if source == "cart":
            return "cart", self.cart(sid)
        slug, opts, qty = json.loads(source)
        return "buy_now", (CartLine(slug, tuple((k, v) for k, v in opts), qty),)

    def place_order(self, sid: str, items: Sequence[OrderItem], address: Address, *, clear_cart: bool) -> Order:
        """Record an order under the session's next number (1001, 1002, ...)."""
        with self._tx(sid) as conn:
            number = conn.execute("SELECT next_order FROM sessions WHERE sid=?", (sid,)).fetchone()[0]
            total = round(sum(i.price * i.quantity for i in items), 2)
            order = Order(number, tuple(items), address, total)
            conn.execute("INSERT INTO orders VALUES (?, ?, ?)", (sid, number, json.dumps(asdict(order))))
            conn.execute("UPDATE sessions SET next_order=?, checkout=NULL WHERE sid=?", (number + 1, sid))
            if clear_cart:
                conn.execute("DELETE FROM cart WHERE sid=?", (sid,))
        return order

    @staticmethod
    def _order(data: str) -> Order:
        d = json.loads(data)
        items = tuple(
            OrderItem(i["slug"], i["title"], tuple((k, v) for k, v in i["options"]), i["quantity"], i["price"])
            for i in d["items"]
        )
        return Order(d["number"], items, Address(**d["address"]), d["total"])

    def orders(self, sid: str) -> tuple[Order, ...]:
        """Most recent first."""
        rows = self._rows("SELECT data FROM orders WHERE sid=? ORDER BY number DESC", (sid,))
        return tuple(self._order(r[0]) for r in rows)

    def order(self, sid: str, number: int) -> Order | None:
        rows = self._rows("SELECT data FROM orders WHERE sid=? AND number=?", (sid, number))
        return self._order(rows[0][0]) if rows else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
