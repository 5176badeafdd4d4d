"""Names on public boards: 张*三 (two characters: 张*), 匿名村民 for those who left public rankings."""

ANONYMOUS = "匿名村民"
ANONYMOUS_HOUSEHOLD = "匿名农户"


def mask_name(name: str) -> str:
    """Keep the first and (for three or more characters) the last character: 张*三, 欧**明, 张*."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def opted_out(choice: bool | None, village_default: bool) -> bool:
    """The villager's own choice, or the village's default when they never chose."""
    return village_default if choice is None else choice


def public_name(name: str, *, choice: bool | None, village_default: bool, is_me: bool) -> str:
    """What others read: the masked name, or 匿名村民; the villager always reads their own name in full."""
    if is_me:
        return name
    return ANONYMOUS if opted_out(choice, village_default) else mask_name(name)
