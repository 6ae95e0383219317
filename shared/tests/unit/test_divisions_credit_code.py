"""GB/T 2260 divisions and GB 32100 credit codes (HEB-01): the rules organisations and
company registrations are checked against (regulations.md: "Administrative divisions —
GB/T 2260", "Unified social credit code — GB 32100-2015")."""

from __future__ import annotations

import pytest

from anjian_shared import credit_code, divisions
from anjian_shared.errors import Unprocessable

# Codes printed on the business licences of well-known companies (published in their
# annual reports and the national enterprise credit publicity system).
PUBLISHED = [
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "9144030071526726XG",  # 腾讯科技（深圳）有限公司
    "9111000071093123XX",  # 中国建筑股份有限公司
    "91110000600037341L",  # python-stdnum's own example
]


@pytest.mark.parametrize("code", PUBLISHED)
def test_heb01_published_credit_codes_are_valid(code):
    assert credit_code.is_valid(code)
    assert credit_code.validate(code) == code
    assert credit_code.check_character(code[:17]) == code[17]


def test_heb01_credit_code_is_compacted_and_upper_cased():
    assert credit_code.validate("9144 0300 7152 6726 xg") == "9144030071526726XG"


@pytest.mark.parametrize("code", PUBLISHED)
def test_heb01_a_wrong_check_character_is_refused_naming_the_expected_one(code):
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(Unprocessable) as refused:
        credit_code.validate(wrong)
    assert refused.value.code == "credit-code-check-character"
    assert refused.value.field == "credit_code"
    assert repr(code[17]) in str(refused.value.detail)


@pytest.mark.parametrize("code", ["", "91440300192203821", "9144030019220382166",
                                  "91440300192203821I", "9144030019220382O6"])
def test_heb01_a_malformed_credit_code_is_refused(code):
    with pytest.raises(Unprocessable) as refused:
        credit_code.validate(code, field="company.credit_code")
    assert refused.value.code == "credit-code-format"
    assert refused.value.field == "company.credit_code"


def test_heb01_divisions_lookup_name_and_levels():
    assert divisions.name("130000") == "河北省"
    assert divisions.get("130100") == divisions.Division("130100", "石家庄市", "city")
    assert divisions.get("130102").level == "county"  # 长安区
    assert divisions.get("130199") is None and divisions.get("abc") is None
    assert divisions.full_name("130102") == "河北省石家庄市长安区"
    # the 2020 rename of Xingtai's districts is in the shipped list
    assert divisions.name("130502") == "襄都区"


def test_heb01_parent_chain_county_city_province():
    assert [d.code for d in divisions.chain("130102")] == ["130102", "130100", "130000"]
    assert divisions.parent("130100") == "130000" and divisions.parent("130000") is None
    # a municipality's district and a county directly under a province skip the city
    assert divisions.parent("110105") == "110000"
    assert [d.code for d in divisions.chain("419001")] == ["419001", "410000"]
    assert divisions.chain("999999") == []
    assert {d.code for d in divisions.children("130000")} >= {"130100", "131100"}


def test_heb01_within_and_nearest_authority():
    assert divisions.within("130102", "130000") and divisions.within("130102", "130100")
    assert divisions.within("130100", "130100")
    assert not divisions.within("130102", "130200")  # 唐山 does not hold 石家庄's district
    assert not divisions.within("420102", "130000")  # Wuhan is not in Hebei
    assert not divisions.within("999999", "130000") and not divisions.within("130102", "999999")
    authorities = {"130000", "130100", "130200"}
    assert divisions.nearest("130102", authorities) == "130100"
    assert divisions.nearest("130302", authorities) == "130000"  # no Qinhuangdao authority yet
    assert divisions.nearest("420102", authorities) is None
    assert divisions.province_of("130102") == "130000"


def test_heb01_an_unknown_division_is_refused_naming_the_field():
    with pytest.raises(Unprocessable) as refused:
        divisions.require("130199", field="division_code")
    assert refused.value.code == "unknown-division" and refused.value.field == "division_code"
    assert divisions.require("130100").name == "石家庄市"
