"""Who may spend points at a shop right now.

This is the integration seam of the redemption gates: it checks a frozen account today, and the credit module
extends `redemption_block_reason` with the dishonesty list's "no redemption" effect (and any other gate a rule
set declares) when it lands. Pay codes, redemptions and shop orders all ask here, so a new gate applies to every
way of spending at once.
"""

from backend.services.credit import redemption_block

FROZEN = "账户已冻结，暂不能兑换积分，请联系村委会。"
INACTIVE = "该村民已不在本村花名册中，不能兑换积分。"
CREDIT_GATE = "信用关卡生效中（{label}），暂不能兑换积分。"


def redemption_block_reason(session, villager_id: int) -> str | None:
    """A Chinese sentence saying why this villager may not redeem now, or None if they may.

    One indexed read in the usual case: the villager's standing with their kept credit state (services.credit.state).
    """
    villager, gate = redemption_block(session, villager_id)
    if villager is None or villager.status != "active":
        return INACTIVE
    if villager.frozen:
        return FROZEN
    if gate is not None:
        return CREDIT_GATE.format(label=gate)
    return None
