"""Towns, villages, households, villagers and the people who sign in."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import TimestampMixin, VillageOwnedMixin

ROLES = ("villager", "shopkeeper", "committee", "town_admin", "city_admin", "admin")


class City(TimestampMixin, db.Model):
    """A county-level city (县级市) above its towns; a city admin sees every town of it."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    towns: Mapped[list["Town"]] = relationship(back_populates="city", order_by="Town.code")


class Town(TimestampMixin, db.Model):
    __tablename__ = "towns"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Nullable: a town may run before its city joins the system.
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))

    city: Mapped[City | None] = relationship(back_populates="towns")

    villages: Mapped[list["Village"]] = relationship(back_populates="town", order_by="Village.code")


class Village(TimestampMixin, db.Model):
    __tablename__ = "villages"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # Whether villagers who never chose are left out of public rankings (shown as 匿名村民).
    ranking_opt_out_default: Mapped[bool] = mapped_column(Boolean, default=False)

    town: Mapped[Town] = relationship(back_populates="villages")


class Household(VillageOwnedMixin, TimestampMixin, db.Model):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("village_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))

    members: Mapped[list["Villager"]] = relationship(back_populates="household", order_by="Villager.id")


class Villager(VillageOwnedMixin, TimestampMixin, db.Model):
    """A roster entry. ID and phone numbers are stored encrypted, with a blind index and a masked copy."""

    __tablename__ = "villagers"
    __table_args__ = (UniqueConstraint("village_id", "id_number_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    relation: Mapped[str | None] = mapped_column(String(16))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)
    group_name: Mapped[str | None] = mapped_column(String(32))
    id_number_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(11))
    status: Mapped[str] = mapped_column(String(16), default="active")
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    # The villager's own choice about public rankings; None follows the village's default.
    ranking_opt_out: Mapped[bool | None] = mapped_column(Boolean)

    household: Mapped[Household | None] = relationship(back_populates="members")
    village: Mapped[Village] = relationship()
    user: Mapped["User | None"] = relationship(back_populates="villager", uselist=False)


class User(TimestampMixin, db.Model):
    """Anyone who signs in: staff by password, villagers by WeChat."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(64))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    town_id: Mapped[int | None] = mapped_column(ForeignKey("towns.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), index=True)
    villager_id: Mapped[int | None] = mapped_column(ForeignKey("villagers.id"), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    binding_failures: Mapped[int] = mapped_column(Integer, default=0)
    binding_locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Graded protection (等保): an account someone else set up changes its password on first sign-in; admins of
    # towns, cities and the platform add a TOTP second factor (secret encrypted like ID numbers).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_secret_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The last accepted 30-second step: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    villager: Mapped[Villager | None] = relationship(back_populates="user")


class BindingCode(VillageOwnedMixin, TimestampMixin, db.Model):
    """A one-time code the committee prints for a villager to bind their WeChat account."""

    __tablename__ = "binding_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
