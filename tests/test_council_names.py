"""Council identity as people write it: every form a name or code takes, and the near misses that must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from intervention_engine import InvalidImport
from intervention_engine.history.council_names import CouncilDirectory, UnknownCouncil

from shared_data import DATA


@pytest.fixture(scope="module")
def councils() -> CouncilDirectory:
    return CouncilDirectory.from_csv(DATA / "councils.csv")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Kirklees", "382"),  # the ONS name as it is
        ("KIRKLEES", "382"),  # case
        ("  kirklees  ", "382"),  # spaces around
        ("tower hamlets", "211"),
        ("tower_hamlets", "211"),  # underscores (la_key style)
        ("Tower-Hamlets", "211"),  # hyphens
        ("Tower   Hamlets", "211"),  # runs of spaces
        ("Kirklees Council", "382"),
        ("London Borough of Barnet", "302"),
        ("London Borough of Tower Hamlets", "211"),
        ("Royal Borough of Kensington and Chelsea", "207"),
        ("Royal Borough of Windsor & Maidenhead", "868"),  # & for "and"
        ("Rotherham Metropolitan Borough Council", "372"),
        ("Metropolitan Borough of Wirral", "344"),
        ("City of Bradford Metropolitan District Council", "380"),
        ("Gloucestershire County Council", "916"),
        ("Darlington Borough Council", "841"),
        ("Manchester City Council", "352"),
        ("City of York Council", "816"),
        ("Bristol, City of", "801"),  # the ONS name, comma and all
        ("City of Bristol", "801"),
        ("Bristol City Council", "801"),
        ("Durham County Council", "840"),  # ONS "Durham"
        ("County Durham", "840"),  # the 2023 upper-tier name
        ("Bedford Borough Council", "822"),  # ONS "Bedford Borough"
        ("Bedford", "822"),
        ("St Helens", "342"),  # ONS "St. Helens": punctuation
        ("Southend-on-Sea City Council", "882"),
        ("Brighton & Hove City Council", "846"),
        ("Council of the Isles of Scilly", "420"),
        ("City of London", "201"),  # the affix is the name here
        ("Hull", "810"),  # also_known_as
        ("Kingston upon Hull City Council", "810"),
        ("BCP", "839"),  # also_known_as
        ("Bournemouth", "839"),
        ("Poole", "836"),  # its own row, not BCP's alias
        ("382", "382"),  # the DfE 3-digit code
        (" 382 ", "382"),
        ("E08000034", "382"),  # the ONS code
        ("e08000034", "382"),
        ("80478", "382"),  # the Ofsted URN
    ],
)
def test_a_council_is_found_by_every_form_people_write(councils: CouncilDirectory, written: str, code: str) -> None:
    assert councils.resolve(written)["la_code"] == code


def test_the_whole_identity_row_is_returned(councils: CouncilDirectory) -> None:
    row = councils.resolve("kirklees council")
    assert (row["urn"], row["la_code"], row["la_code_new"], row["local_authority_ons_name"], row["region_name"]) == (
        "80478", "382", "E08000034", "Kirklees", "Yorkshire and the Humber",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("Kirklee", "Kirklees (382)"),  # one letter short: suggested, never silently accepted
        ("Kirkleess", "Kirklees (382)"),
        ("Sheffeld", "Sheffield (373)"),
        ("Newcastle City Council", "Newcastle upon Tyne (391)"),  # ONS: Newcastle upon Tyne
        ("Richmond", "Richmond upon Thames (318)"),
    ],
)
def test_a_near_miss_is_refused_with_a_did_you_mean(councils: CouncilDirectory, written: str, suggested: str) -> None:
    with pytest.raises(UnknownCouncil) as error:
        councils.resolve(written)
    message = str(error.value)
    assert message.startswith(f"unknown council {written!r}: not a name or code in councils.csv; did you mean ")
    assert suggested in message


def test_a_name_between_two_councils_suggests_both_in_order_of_likeness(councils: CouncilDirectory) -> None:
    with pytest.raises(UnknownCouncil, match=r"did you mean Kingston Upon Hull, City of \(810\) or Kingston upon "
                       r"Thames \(314\)"):  # fmt: skip
        councils.resolve("Kingston")


@pytest.mark.parametrize("written", ["London", "Council", "", "38", "3820", "E0800003", "Nowhere At All"])
def test_what_names_no_council_is_refused(councils: CouncilDirectory, written: str) -> None:
    # "London" is not the City of London; a code one digit short or long is no code at all.
    with pytest.raises(UnknownCouncil, match=rf"unknown council {written!r}"):
        councils.resolve(written)


def test_nothing_near_gets_no_suggestion(councils: CouncilDirectory) -> None:
    with pytest.raises(UnknownCouncil) as error:
        councils.resolve("Zzyzx Qwv")
    assert str(error.value) == "unknown council 'Zzyzx Qwv': not a name or code in councils.csv"


def test_an_ambiguous_name_names_every_candidate(tmp_path: Path) -> None:
    table = tmp_path / "two.csv"
    table.write_text(
        "urn,la_code,la_code_new,local_authority_ons_name,also_known_as\n"
        "1,101,E1,Northshire,[Shire]\n"
        "2,102,E2,Southshire,[Shire]\n",
        encoding="utf-8",
    )
    councils = CouncilDirectory.from_csv(table)
    with pytest.raises(UnknownCouncil) as error:
        councils.resolve("shire council")
    assert str(error.value) == (
        "council 'shire council' is ambiguous in two.csv: it names Northshire (101), Southshire (102)"
    )
    assert councils.resolve("Northshire")["la_code"] == "101"


def test_unknown_council_is_an_import_error() -> None:
    assert issubclass(UnknownCouncil, InvalidImport)
