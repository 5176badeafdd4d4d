"""Input and output schemas for towns, villages, households and villagers."""

from marshmallow import ValidationError, fields, validate, validates_schema

from backend.api.common import InSchema, OutSchema, PageArgs

SEXES = ("男", "女")


class CityOut(OutSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class CityIn(InSchema):
    code = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Z0-9]{2,16}$", error="编码须为 2-16 位大写字母或数字。")
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))


class TownOut(CityOut):
    city_id = fields.Integer(allow_none=True)


class TownIn(CityIn):
    city_id = fields.Integer(load_default=None)


class VillageOut(OutSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    town_id = fields.Integer()


class VillageIn(CityIn):
    town_id = fields.Integer(required=True)


class VillagePatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))


class HouseholdOut(OutSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    code = fields.String()
    address = fields.String(allow_none=True)


class HouseholdIn(InSchema):
    village_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    address = fields.String(load_default=None, validate=validate.Length(max=200))


class HouseholdListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)


class HouseholdPatch(InSchema):
    code = fields.String(validate=validate.Length(min=1, max=32))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))


class VillagerOut(OutSchema):
    """A roster entry as staff see it: numbers masked."""

    id = fields.Integer()
    village_id = fields.Integer()
    household_id = fields.Integer(allow_none=True)
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date(allow_none=True)
    relation = fields.String(allow_none=True)
    is_head = fields.Boolean()
    group_name = fields.String(allow_none=True)
    id_number = fields.String(attribute="id_number_masked")
    phone = fields.String(attribute="phone_masked", allow_none=True)
    status = fields.String()
    frozen = fields.Boolean()
    bound = fields.Function(lambda v: v.user is not None)


class VillagerIn(InSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    id_number = fields.String(required=True, validate=validate.Length(min=15, max=24))
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    household_id = fields.Integer(load_default=None)
    relation = fields.String(load_default=None, validate=validate.Length(max=16))
    is_head = fields.Boolean(load_default=False)
    group_name = fields.String(load_default=None, validate=validate.Length(max=32))


class VillagerCreateIn(VillagerIn):
    village_id = fields.Integer(required=True)


class VillagerPatch(InSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    household_id = fields.Integer(allow_none=True)
    relation = fields.String(allow_none=True, validate=validate.Length(max=16))
    is_head = fields.Boolean()
    group_name = fields.String(allow_none=True, validate=validate.Length(max=32))
    status = fields.String(validate=validate.OneOf(["active", "moved_out", "deceased"]))
    frozen = fields.Boolean()


class VillagerListArgs(PageArgs):
    village_id = fields.Integer(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=64))


class BindingIn(InSchema):
    village_code = fields.String(validate=validate.Length(min=1, max=16))
    name = fields.String(validate=validate.Length(min=1, max=64))
    id_card_last6 = fields.String(validate=validate.Regexp(r"^[0-9]{5}[0-9Xx]$", error="请输入身份证号后六位。"))
    binding_code = fields.String(validate=validate.Regexp(r"^\s*[0-9]{10}\s*$", error="绑定码为 10 位数字。"))

    @validates_schema
    def _one_way(self, data, **_kwargs):
        by_identity = {"village_code", "name", "id_card_last6"} & data.keys()
        if "binding_code" in data and by_identity:
            raise ValidationError("请只用一种方式绑定：绑定码，或村编码+姓名+身份证后六位。", "_schema")
        if "binding_code" not in data:
            missing = {"village_code", "name", "id_card_last6"} - by_identity
            if missing:
                raise ValidationError({key: ["缺少必填字段。"] for key in sorted(missing)})


class BindingCodeOut(OutSchema):
    code = fields.String()
    expires_at = fields.DateTime()
    png_url = fields.String()
