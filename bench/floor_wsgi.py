"""The floor probe: the redemption's work and a signed-in read as plain statements, on the app's own stack.

Served under /floor by the bench's gunicorn beside the real app and the raw transaction (raw_wsgi.py), so that
all three share the server, the workers and the database. Same stack as the app (Flask, flask-jwt-extended with
the revocation-and-user query, SQLAlchemy Core, psycopg 3, marshmallow with the app's own schemas), none of its
machinery (no flask-smorest, ORM, structlog, metrics or rate limiter):

- GET  /floor/shops/<id>:   token checked (signature, then revocation + user in one query), one SELECT, one dump.
- POST /floor/redemptions:  what a sale must do, one statement each, in one transaction: user and revocation,
  claim the Idempotency-Key, consume the pay code, the villager's gate (status, frozen, credit state), shop and
  items, lock both ledger accounts in id order, the sale and its line, the transfer, two hash-chained entries,
  both account heads, the oldest lots (locked) and what is taken from them, stock (limited items only), the
  village budget, the sale's transfer and balance, and the kept answer.

`PROBE_STATEMENTS` names them in order, so that the bench can print them next to the product's own statements
(recorded from one real redemption in the same run) and show where the two differ.
"""

import hashlib
import json
import os
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import Flask, abort, g, request
from flask_jwt_extended import JWTManager, jwt_required
from sqlalchemy import bindparam, create_engine, null, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.api.shops.schemas import ReceiptOut, RedeemIn, ShopOut
from backend.database import configure_sqlite
from backend.models import (
    BudgetUsage,
    IdempotencyKey,
    PayCode,
    Redemption,
    RedemptionLine,
    RewardItem,
    Shop,
    User,
)
from backend.models.auth import RevokedToken, TokenFamily
from backend.models.ledger import Account, Entry, Lot, LotMovement, Transfer
from backend.services.ledger.integrity import entry_hash

PROBE_STATEMENTS = (
    "select users",
    "insert idempotency_keys",
    "update pay_codes",
    "select villagers",
    "select reward_items",
    "select ledger_accounts",
    "insert redemptions",
    "insert redemption_lines",
    "insert ledger_transfers",
    "insert ledger_entries",
    "update ledger_accounts",
    "select ledger_lots",
    "update ledger_lots",
    "insert ledger_lot_movements",
    "update shop_budget_usage",
    "update redemptions",
    "update idempotency_keys",
)

try:
    from backend.services.credit.state import STATE_READ
except ImportError:  # code from before the kept credit state (the bench's "before" runs): standing only
    from backend.models import Villager

    STATE_READ = select(Villager.__table__.c.status, Villager.__table__.c.frozen, null().label("blocked_by")).where(
        Villager.__table__.c.id == bindparam("villager_id")
    )

_engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
SQLITE = _engine.dialect.name == "sqlite"
if SQLITE:
    configure_sqlite(_engine)
_insert = sqlite_insert if SQLITE else pg_insert
_lock = (lambda stmt: stmt) if SQLITE else (lambda stmt: stmt.with_for_update())

users, families, revoked = User.__table__, TokenFamily.__table__, RevokedToken.__table__
_TOKEN_USER = (
    select(
        users.c.id, users.c.role, users.c.shop_id, users.c.is_active, families.c.revoked_at, families.c.id.label("f")
    )
    .add_columns(select(revoked.c.jti).where(revoked.c.jti == bindparam("jti")).exists().label("logged_out"))
    .outerjoin(families, families.c.id == bindparam("fam"))
    .where(users.c.id == bindparam("uid"))
)
_SHOP = select(Shop.__table__).where(Shop.__table__.c.id == bindparam("id"))
keys, codes = IdempotencyKey.__table__, PayCode.__table__
_CLAIM = (
    _insert(keys)
    .values(
        user_id=bindparam("user_id"),
        key=bindparam("key"),
        fingerprint=bindparam("fingerprint"),
        created_at=bindparam("now"),
    )
    .on_conflict_do_nothing()
    .returning(keys.c.id)
)
_CONSUME = (
    update(codes)
    .where(codes.c.token_hash == bindparam("digest"), codes.c.used_at.is_(None), codes.c.expires_at > bindparam("now"))
    .values(used_at=bindparam("now"))
    .returning(codes.c.id, codes.c.villager_id, codes.c.village_id)
)
items, shops = RewardItem.__table__, Shop.__table__
_ITEMS = (
    select(items, shops.c.name.label("shop_name"), shops.c.status.label("shop_status"), shops.c.village_id.label("sv"))
    .join(shops, shops.c.id == items.c.shop_id)
    .where(items.c.id.in_(bindparam("ids", expanding=True)), items.c.shop_id == bindparam("shop"))
)
accounts = Account.__table__
_ACCOUNTS = _lock(
    select(accounts).where(accounts.c.owner_key.in_(bindparam("owners", expanding=True))).order_by(accounts.c.id)
)
sales, lines = Redemption.__table__, RedemptionLine.__table__
_SALE = sales.insert().returning(sales.c.id)
_LINE = lines.insert()
transfers, entries = Transfer.__table__, Entry.__table__
_TRANSFER = transfers.insert().returning(transfers.c.id)
_HEADS = (
    update(accounts)
    .where(accounts.c.id == bindparam("pk"))
    .values(balance=bindparam("balance"), last_seq=bindparam("seq"), head_hash=bindparam("head"))
)
lots = Lot.__table__
_LOTS = _lock(
    select(lots.c.id, lots.c.remaining)
    .where(lots.c.account_id == bindparam("account"), lots.c.remaining > 0)
    .order_by(lots.c.id)
)
_TAKE = update(lots).where(lots.c.id == bindparam("lot")).values(remaining=lots.c.remaining - bindparam("take"))
_MOVE = LotMovement.__table__.insert()
_STOCK = (
    update(items)
    .where(items.c.id == bindparam("item"), items.c.stock >= bindparam("qty"))
    .values(stock=items.c.stock - bindparam("qty"))
)
budget = BudgetUsage.__table__
_BUDGET = (
    update(budget)
    .where(budget.c.village_id == bindparam("b_village"), budget.c.month == bindparam("b_month"))
    .values(points=budget.c.points + bindparam("b_points"))
)
_SALE_DONE = (
    update(sales)
    .where(sales.c.id == bindparam("sale"))
    .values(transfer_id=bindparam("transfer"), balance_after=bindparam("after"))
)
_ANSWER = (
    update(keys).where(keys.c.id == bindparam("claim")).values(response_status=201, response_body=bindparam("body"))
)

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY=os.environ["JWT_SECRET_KEY"],
    JWT_ALGORITHM="HS256",
    JWT_DECODE_ALGORITHMS=["HS256"],
    JWT_TOKEN_LOCATION=["headers"],
)
jwt = JWTManager(app)
receipt_schema, shop_schema, redeem_schema = ReceiptOut(), ShopOut(), RedeemIn()


@jwt.token_in_blocklist_loader
def _revoked(_header, payload) -> bool:
    with _engine.connect() as conn:
        row = conn.execute(
            _TOKEN_USER, {"jti": payload["jti"], "fam": payload.get("fam") or "", "uid": int(payload["sub"])}
        ).one_or_none()
    g.user = row
    return row is None or not row.is_active or bool(row.logged_out) or row.f is None or row.revoked_at is not None


@app.get("/shops/<int:shop_id>")
@jwt_required()
def read_shop(shop_id):
    with _engine.connect() as conn:
        row = conn.execute(_SHOP, {"id": shop_id}).one_or_none()
    if row is None:
        abort(404)
    return shop_schema.dump(row._mapping)


@app.post("/redemptions")
@jwt_required()
def redeem():
    args = redeem_schema.load(request.get_json())
    key = request.headers["Idempotency-Key"]
    fingerprint = hashlib.sha256(request.get_data()).hexdigest()
    user = g.user
    if user.role != "shopkeeper" or user.shop_id != args["shop_id"]:
        abort(403)
    now = datetime.now(UTC).replace(tzinfo=None)
    wanted = {line["item_id"]: line["quantity"] for line in args["items"]}
    with _engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            claim = conn.execute(
                _CLAIM, {"user_id": user.id, "key": key, "fingerprint": fingerprint, "now": now}
            ).scalar_one_or_none()
            if claim is None:
                abort(409)
            digest = hashlib.sha256(args["pay_code"].strip().encode()).hexdigest()
            code = conn.execute(_CONSUME, {"digest": digest, "now": now}).one_or_none()
            if code is None:
                abort(409)
            # The product's own gate read: standing, facts and the kept credit state in one statement.
            person = conn.execute(STATE_READ, {"villager_id": code.villager_id}).one()
            if person.status != "active" or person.frozen or person.blocked_by is not None:
                abort(403)
            found = conn.execute(_ITEMS, {"ids": list(wanted), "shop": args["shop_id"]}).all()
            if len(found) != len(wanted) or found[0].shop_status != "active":
                abort(422)
            total = sum(item.price_points * wanted[item.id] for item in found)
            owners = [f"villager:{code.villager_id}", f"shop:{args['shop_id']}:village:{code.village_id}"]
            held = {row.owner_key: row for row in conn.execute(_ACCOUNTS, {"owners": owners})}
            villager, shop = held[owners[0]], held[owners[1]]
            if villager.balance < total:
                abort(409)
            month = now.strftime("%Y-%m")
            receipt_no = now.strftime("%Y%m%d") + f"{secrets.randbelow(10**10):010d}"
            sale_values = {
                "village_id": code.village_id,
                "receipt_no": receipt_no,
                "shop_id": args["shop_id"],
                "villager_id": code.villager_id,
                "pay_code_id": code.id,
                "shopkeeper_id": user.id,
                "points": total,
                "balance_after": villager.balance - total,
                "month": month,
                "status": "completed",
                "created_at": now,
            }
            sale_id = conn.execute(_SALE, sale_values).scalar_one()
            sold = [
                {
                    "village_id": code.village_id,
                    "redemption_id": sale_id,
                    "item_id": item.id,
                    "item_name": item.name,
                    "unit_points": item.price_points,
                    "quantity": wanted[item.id],
                    "points": item.price_points * wanted[item.id],
                }
                for item in found
            ]
            conn.execute(_LINE, sold)
            reason = f"{found[0].shop_name} 兑换（小票 {receipt_no}）"
            booking = {
                "reason": reason,
                "source_type": "redemption",
                "source_id": sale_id,
                "actor_id": user.id,
                "rule_code": None,
                "rule_version": None,
                "created_at": now,
            }
            transfer_id = conn.execute(
                _TRANSFER,
                {
                    **booking,
                    "kind": "spend",
                    "village_id": code.village_id,
                    "idempotency_key": f"redemption:{sale_id}",
                    "amount": total,
                    "earned_on": now.date(),
                },
            ).scalar_one()
            rows, heads = [], []
            for account, amount in ((villager, -total), (shop, total)):
                entry = {
                    **booking,
                    "village_id": account.village_id,
                    "account_id": account.id,
                    "transfer_id": transfer_id,
                    "seq": account.last_seq + 1,
                    "amount": amount,
                    "balance_after": account.balance + amount,
                    "expires_on": None,
                    "prev_hash": account.head_hash,
                }
                entry["hash"] = entry_hash(entry["prev_hash"], entry)
                rows.append(entry)
                heads.append(
                    {"pk": account.id, "balance": entry["balance_after"], "seq": entry["seq"], "head": entry["hash"]}
                )
            conn.execute(entries.insert(), rows)
            conn.execute(_HEADS, heads)
            takes, left = [], total
            for lot in conn.execute(_LOTS, {"account": villager.id}):
                take = min(lot.remaining, left)
                takes.append({"lot": lot.id, "take": take})
                left -= take
                if left == 0:
                    break
            conn.execute(_TAKE, takes)
            conn.execute(_MOVE, [{"lot_id": t["lot"], "transfer_id": transfer_id, "amount": t["take"]} for t in takes])
            for item in found:
                if (
                    item.stock is not None
                    and conn.execute(_STOCK, {"item": item.id, "qty": wanted[item.id]}).rowcount != 1
                ):
                    abort(409)
            charge = {"b_village": code.village_id, "b_month": month, "b_points": total}
            if conn.execute(_BUDGET, charge).rowcount != 1:  # the month's first sale (the product does the same)
                conn.execute(
                    _insert(budget).values(village_id=code.village_id, month=month, points=0).on_conflict_do_nothing()
                )
                conn.execute(_BUDGET, charge)
            conn.execute(_SALE_DONE, {"sale": sale_id, "transfer": transfer_id, "after": villager.balance - total})
            sale = SimpleNamespace(
                id=sale_id,
                shop=SimpleNamespace(name=found[0].shop_name),
                lines=[SimpleNamespace(**line) for line in sold],
                order_id=None,
                voided_at=None,
                **{**sale_values, "balance_after": villager.balance - total},
            )
            body = json.dumps(receipt_schema.dump(sale), ensure_ascii=False)
            conn.execute(_ANSWER, {"claim": claim, "body": body})
    return app.response_class(body, status=201, mimetype="application/json")


def statement_name(sql: str) -> str:
    """`verb table` of one SQL statement, the form PROBE_STATEMENTS and the bench's trace use."""
    words = sql.split()
    verb = words[0].lower()
    if verb == "select":
        table, depth = "?", 0
        for position, word in enumerate(words):  # the statement's own FROM, not a subquery's
            if word.upper() == "FROM" and depth == 0:
                table = words[position + 1]
                break
            depth += word.count("(") - word.count(")")
    elif verb == "insert":
        table = words[2]
    elif verb == "update":
        table = words[1]
    else:
        table = words[-1] if len(words) > 1 else ""
    return f"{verb} {table}"
