"""Geocoding: postcodes in any form, terminated and out-of-area postcodes, and lat,lon."""

from __future__ import annotations

import pytest

from geoaccess.errors import BadInput, OutsideArea, PostcodeError
from geoaccess.geocode import geocode, normalise_postcode


@pytest.mark.parametrize("text", ["la14 1rp", "LA141RP", " La14  1Rp ", "LA14 1RP"])
def test_postcode_in_any_case_or_spacing(text, pack):
    location = geocode(text, pack)
    assert location.postcode == "LA14 1RP"
    # Code-Point Open 2025-04 position of LA14 1RP
    assert (location.lon, location.lat) == (-3.229233, 54.112495)
    assert (location.easting, location.northing) == (319739, 469212)
    assert location.lsoa21 == "E01019141"
    assert location.lsoa21_name == "Barrow-in-Furness 008A"
    assert location.district == "Barrow-in-Furness"
    assert location.council == "Westmorland and Furness"
    assert "Code-Point Open" in location.source


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("LA14-1RP", "only letters, digits and spaces"),
        ("LA14 1RÉ", "only letters, digits and spaces"),
        ("LA1", "5 to 7"),
        ("LA14 1RPXX", "5 to 7"),
        ("LA14 RP1", "digit then two letters"),
        ("LA14 1CI", "digit then two letters"),
        ("1A14 1RP", "first part"),
        ("LAXX 1RP", "first part"),
    ],
)
def test_malformed_postcodes_say_what_is_wrong(text, fragment, pack):
    with pytest.raises(PostcodeError, match=fragment):
        geocode(text, pack)


def test_terminated_postcode_says_so_and_when(pack):
    with pytest.raises(PostcodeError, match=r"no longer in use: terminated 1999-06"):
        geocode("ca1 1ad", pack)


def test_live_postcode_outside_the_area_names_where_it_is(pack):
    with pytest.raises(OutsideArea, match="Blackburn with Darwen"):
        geocode("BB1 1AE", pack)


def test_unknown_postcode_in_a_covered_area_is_not_current(pack):
    with pytest.raises(PostcodeError, match="not a current postcode"):
        geocode("CA99 9ZZ", pack)


def test_unknown_postcode_elsewhere_is_outside_the_area(pack):
    with pytest.raises(OutsideArea, match="outside the pack's area"):
        geocode("SW1A 1AA", pack)


def test_error_messages_never_repeat_the_postcode(pack):
    for text in ("CA1 1AD", "BB1 1AE", "CA99 9ZZ", "SW1A 1AA"):
        with pytest.raises(BadInput) as caught:
            geocode(text, pack)
        assert text.replace(" ", "") not in str(caught.value).replace(" ", "")


def test_normalise_postcode_formats_outward_and_inward():
    assert normalise_postcode("ca38dr") == "CA3 8DR"
    assert normalise_postcode("pr13bn") == "PR1 3BN"


def test_coordinates_in_the_area(pack):
    location = geocode("54.8925, -2.9329", pack)
    assert location.postcode is None
    assert location.district == "Carlisle"
    assert location.lsoa21.startswith("E01")
    assert location.precision == "coordinates"


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("95.0,-2.9", BadInput, "latitude -90..90"),
        ("-2.93,54.89", BadInput, "reversed"),
        ("51.5,-0.12", OutsideArea, "outside the pack's area"),
        ("54.9,-3.3", OutsideArea, "not on land"),  # the Solway Firth
        ("54.08,-2.93", OutsideArea, "not on land"),  # Morecambe Bay
    ],
)
def test_bad_coordinates(text, error, fragment, pack):
    with pytest.raises(error, match=fragment):
        geocode(text, pack)
