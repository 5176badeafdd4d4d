"""Plausible, invented Chinese names for demo data."""

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志荣"
FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娇兰琴云莲真环雪荣爱妹玲红梅"


def random_name(rng: random.Random, *, female: bool, surname_seed: float | None = None) -> str:
    """Surname (shared by a household when `surname_seed` is given) and a one- or two-character given name."""
    surname = SURNAMES[int((surname_seed if surname_seed is not None else rng.random()) * len(SURNAMES))]
    pool = FEMALE if female else MALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return surname + given
