"""Everything held about me (PIPL art. 45): a zip of JSON files, my submissions' files, and a README in Chinese.

ID and phone numbers appear masked, as everywhere outside the committee's office: a zip passed around WeChat must
not carry them. Staff reads and changes of my record come from the audit log, institutions' requests from the
report accesses.
"""

import io
import json
import zipfile
from datetime import date, datetime

from sqlalchemy import or_, select

from backend import clock
from backend.adapters.storage import get_storage
from backend.database import write_transaction
from backend.extensions import db
from backend.models import (
    Account,
    AuditEntry,
    BindingCode,
    Consent,
    CreditEntry,
    CreditObjection,
    CreditRepair,
    CreditSnapshot,
    Entry,
    HonourApplication,
    Household,
    InboundEvent,
    PointAward,
    ReportAccess,
    Submission,
    Upload,
    User,
    Village,
    Villager,
)
from backend.services.access import Caller, bound_villager
from backend.services.audit import Subject, record_audit, snapshot

STAFF_READS = ("villager.read", "villager.credit_read", "roster.export")

README = """村级积分信用系统 · 个人信息副本
=================================

本压缩包是系统在 {generated} 为「{name}」（{village}）导出的全部个人信息副本，依据《个人信息保护法》第四十五条提供。

文件说明
--------
profile.json       基本信息：姓名、性别、出生日期、户内关系、村民小组、状态。身份证号和手机号只显示遮蔽后的号码；
                   完整号码加密保存，如需核对请本人携带身份证到村委会查询。
household.json     所在户：户号、住址、户内成员姓名与关系（不含他人的证件号和电话）。
bindings.json      微信绑定：绑定的账号、首次和最近登录时间；村委会为本人打印的绑定码（只记录签发和使用时间）。
ledger.json        积分账户每一笔记录：时间、增减、余额、原因、依据的规则编号和版本、到期日、防篡改哈希。
awards.json        每次活动获得积分的计算结果（含封顶说明）。
submissions.json   本人提交的“说一说”“拍一拍”申报及审核结果；files/ 目录下是申报所附的照片和语音原件。
platform_events.json 基层治理平台推送的与本人有关的事件（志愿服务、巡逻等）及记分结果。
credit.json        信用分：当前得分和等级、每一条计分记录及状态、原因、异议、荣誉申报、信用修复，以及每月快照。
notices.json       与本人有关的信用公示（公示期起止）。
consents.json      本人对银行等机构查询信用报告的授权，以及每一次查询（成功或被拒绝）的时间、机构和共享内容。
staff_reads.json   工作人员查看或导出本人信息、修改本人记录的操作日志（谁、何时、做了什么）。

保存期限
--------
积分和信用记录在账期内长期保存，以便核对和接受监督；迁出本村的村民，其个人信息在迁出满规定年限后删除或匿名化，
积分流水只保留金额和哈希以保证账目可核查；未通过审核的照片在规定月数后删除。具体期限见村委会公示的保存规则。

如对以上信息有疑问或需要更正，请联系本村村委会。
"""


def _jsonable(value):
    if isinstance(value, datetime):
        return clock.to_local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _rows(objects, *, drop=()) -> list[dict]:
    return [{k: _jsonable(v) for k, v in (snapshot(o) or {}).items() if k not in drop} for o in objects]


def _all(stmt) -> list:
    return list(db.session.execute(stmt).scalars())


def export_my_data(*, caller: Caller) -> bytes:
    """The zip of everything held about the signed-in villager; the export itself is audited."""
    villager = bound_villager(db.session, caller)
    village = db.session.get(Village, villager.village_id)
    files: dict[str, bytes] = {}
    parts = {
        "profile.json": _profile(villager, village),
        "household.json": _household(villager),
        "bindings.json": _bindings(villager),
        "ledger.json": _ledger(villager),
        "awards.json": _rows(_all(select(PointAward).where(PointAward.villager_id == villager.id))),
        "submissions.json": _submissions(villager, files),
        "platform_events.json": _rows(
            _all(select(InboundEvent).where(InboundEvent.villager_id == villager.id)), drop=("fingerprint",)
        ),
        "credit.json": _credit(villager),
        "notices.json": _notices(villager),
        "consents.json": _consents(villager),
        "staff_reads.json": _staff_reads(villager),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        generated = clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M")
        archive.writestr("README.txt", README.format(generated=generated, name=villager.name, village=village.name))
        for name, content in parts.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2, default=_jsonable))
        for name, data in files.items():
            archive.writestr(name, data)
    with write_transaction() as session:
        record_audit(
            session,
            actor=caller,
            action="me.export",
            entity=Subject("villagers", id=villager.id, village_id=villager.village_id),
            after={"files": len(files)},
        )
    return out.getvalue()


def _profile(villager: Villager, village: Village) -> dict:
    profile = {k: _jsonable(v) for k, v in snapshot(villager).items()}
    return {**profile, "village": {"code": village.code, "name": village.name}}


def _household(villager: Villager) -> dict | None:
    if villager.household_id is None:
        return None
    household = db.session.get(Household, villager.household_id)
    members = _all(select(Villager).where(Villager.household_id == household.id).order_by(Villager.id))
    return {
        "code": household.code,
        "address": household.address,
        "members": [{"name": m.name, "relation": m.relation, "is_head": m.is_head} for m in members],
    }


def _bindings(villager: Villager) -> dict:
    users = _all(select(User).where(User.villager_id == villager.id))
    codes = _all(select(BindingCode).where(BindingCode.villager_id == villager.id))
    return {
        "accounts": [
            {
                "user_id": u.id,
                "wechat_openid": (u.openid or "")[:6] + "…" if u.openid else None,
                "bound_since": _jsonable(u.updated_at),
                "last_login_at": _jsonable(u.last_login_at),
            }
            for u in users
        ],
        "binding_codes": [
            {
                "issued_at": _jsonable(c.created_at),
                "expires_at": _jsonable(c.expires_at),
                "used_at": _jsonable(c.used_at),
            }
            for c in codes
        ],
    }


def _ledger(villager: Villager) -> dict:
    account = db.session.execute(select(Account).where(Account.villager_id == villager.id)).scalar_one_or_none()
    if account is None:
        return {"balance": 0, "entries": []}
    entries = _all(select(Entry).where(Entry.account_id == account.id).order_by(Entry.seq))
    return {"balance": account.balance, "entries": _rows(entries, drop=("actor_id",))}


def _submissions(villager: Villager, files: dict) -> list[dict]:
    storage = get_storage()
    result = []
    for submission in _all(select(Submission).where(Submission.villager_id == villager.id).order_by(Submission.id)):
        row = _rows([submission])[0]
        row["files"] = []
        for upload in _all(select(Upload).where(Upload.submission_id == submission.id).order_by(Upload.id)):
            name = f"files/submission-{submission.id}-{upload.id}.{upload.content_type.split('/')[-1]}"
            try:
                with storage.open(upload.storage_key) as stored:
                    files[name] = stored.read()
                row["files"].append(name)
            except FileNotFoundError:
                row["files"].append(None)  # deleted by the retention purge
        result.append(row)
    return result


def _credit(villager: Villager) -> dict:
    from backend.services.credit import NoCreditRules, credit_report

    try:
        current = credit_report(villager=villager)
    except NoCreditRules:
        current = None
    return {
        "current": current,
        "entries": _rows(_all(select(CreditEntry).where(CreditEntry.villager_id == villager.id))),
        "objections": _rows(_all(select(CreditObjection).where(CreditObjection.villager_id == villager.id))),
        "honours": _rows(_all(select(HonourApplication).where(HonourApplication.villager_id == villager.id))),
        "repairs": _rows(_all(select(CreditRepair).where(CreditRepair.villager_id == villager.id))),
        "snapshots": _rows(_all(select(CreditSnapshot).where(CreditSnapshot.villager_id == villager.id))),
    }


def _notices(villager: Villager) -> list[dict]:
    entries = _all(
        select(CreditEntry).where(CreditEntry.villager_id == villager.id, CreditEntry.counts_from.is_not(None))
    )
    return [
        {
            "entry_id": e.id,
            "rule_code": e.rule_code,
            "occurred_on": _jsonable(e.occurred_on),
            "notice_until": _jsonable(e.counts_from),
            "status": e.status,
        }
        for e in entries
    ]


def _consents(villager: Villager) -> list[dict]:
    result = []
    for consent in _all(select(Consent).where(Consent.villager_id == villager.id).order_by(Consent.id)):
        accesses = _all(select(ReportAccess).where(ReportAccess.consent_id == consent.id).order_by(ReportAccess.id))
        row = _rows([consent])[0]
        row["institution"] = consent.institution.name
        row["accesses"] = [{**_rows([a])[0], "institution": a.institution.name} for a in accesses]
        result.append(row)
    return result


def _staff_reads(villager: Villager) -> list[dict]:
    about_me = (AuditEntry.entity_type == "villagers") & (AuditEntry.entity_id == villager.id)
    roster = (AuditEntry.action == "roster.export") & (AuditEntry.village_id == villager.village_id)
    entries = _all(select(AuditEntry).where(or_(about_me, roster)).order_by(AuditEntry.id))
    return [
        {
            "at": _jsonable(e.created_at),
            "action": e.action,
            "by_role": e.actor_role,
            "by_user_id": e.actor_id,
            "before": e.before,
            "after": e.after,
        }
        for e in entries
    ]
