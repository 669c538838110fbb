from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring.extract import AgeRange, Money, extract, gazetteer


def test_ukrainian_job_ad() -> None:
    ex = extract(
        "Робота в Польщі! Зарплата від 3000 до 4000 zł в місяць. Дівчата 18-35 років. "
        "Пишіть @jobs_pl або +48 512 345 678, viber: 097-123-45-67"
    )
    assert ex.phones == ("+48512345678", "+380971234567")
    assert ex.telegram == ("@jobs_pl",)
    assert ex.money == (Money(3000.0, 4000.0, "PLN", "month", "3000 до 4000 zł"),)
    assert ex.ages == (AgeRange(18, 35, "18-35 років"),)
    assert ex.genders == ("female",)
    assert ex.countries == ("PL",)
    assert ex.handles == ("telegram:@jobs_pl",)


def test_russian_ad_with_lookalikes_and_links() -> None:
    ex = extract(
        "Работа в Гeрмании, 12 евро/час, мужчины и женщины от 20 до 45 лет, "
        "wa.me/380971234567, https://t.me/rabota_de, сайт rabota-de.com, mail HR@rabota.de"
    )
    assert ex.countries == ("DE",)  # "Гeрмании" has a Latin e
    assert ex.money[0].currency == "EUR" and ex.money[0].period == "hour"
    assert ex.money[0].low == ex.money[0].high == 12.0
    assert ex.ages == (AgeRange(20, 45, "от 20 до 45 лет"),)
    assert ex.genders == ("female", "male")
    assert ex.whatsapp == ("+380971234567",)
    assert "+380971234567" in ex.phones
    assert ex.telegram == ("@rabota_de",)
    assert ex.emails == ("hr@rabota.de",)
    assert ex.urls == ("https://t.me/rabota_de",)
    assert ex.domains == ("rabota-de.com",)  # t.me is a messenger, not a site


def test_polish_and_romanian_ads() -> None:
    pl = extract(
        "Praca w Niemczech, 2500-3000 EUR miesięcznie, kobiety 20-40 lat, "
        "instagram @pracaDE, www.praca.pl/oferta?id=1."
    )
    assert pl.money == (Money(2500.0, 3000.0, "EUR", "month", "2500-3000 eur"),)
    assert pl.instagram == ("@pracade",) and pl.telegram == ()
    assert pl.urls == ("www.praca.pl/oferta?id=1",)
    assert pl.countries == ("DE",)
    ro = extract(
        "Lucru în Germania, 2500 lei pe lună, vârsta 18-45, tel 0721 234 567", regions=("RO",)
    )
    assert ro.phones == ("+40721234567",)
    assert ro.money[0].currency == "RON" and ro.money[0].period == "month"
    assert ro.ages[0].low == 18 and ro.ages[0].high == 45


@pytest.mark.parametrize(
    ("text", "low", "high", "currency"),
    [
        ("до 50 000 грн", None, 50000.0, "UAH"),
        ("від 2000 $", 2000.0, None, "USD"),
        ("€1,500 per month", 1500.0, 1500.0, "EUR"),
        ("3к долларов", 3000.0, 3000.0, "USD"),
        ("100 000 ₽ в месяц", 100000.0, 100000.0, "RUB"),
        ("£12.50 an hour", 12.5, 12.5, "GBP"),
    ],
)
def test_money(text: str, low: float | None, high: float | None, currency: str) -> None:
    (money,) = extract(text).money
    assert (money.low, money.high, money.currency) == (low, high, currency)


def test_no_false_money_ages_phones_in_plain_numbers() -> None:
    ex = extract("Встреча 2024-01-15 в 18:30, комната 305, тираж 3000-4000 штук")
    assert ex.money == () and ex.phones == () and ex.ages == ()


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("в Польшу", "PL"), ("у Польщі", "PL"), ("do Polski", "PL"), ("în Polonia", "PL"),
        ("в Чехию", "CZ"), ("w Czechach", "CZ"), ("в Дубай", "AE"), ("в Израиль", "IL"),
        ("в Турцию", "TR"), ("до Великобританії", "GB"), ("в Москву", "RU"),
        ("do Wielkiej Brytanii", "GB"), ("в Нидерланды", "NL"), ("to Qatar", "QA"),
    ],
)  # fmt: skip
def test_gazetteer_inflections(text: str, country: str) -> None:
    assert country in extract(text).countries


def test_gazetteer_items_have_id_label_country() -> None:
    by_stem, _ = gazetteer()
    assert len(by_stem) > 300
    assert all(p.id and p.label and len(p.country) == 2 for p in by_stem.values())


def test_obfuscated_phone_and_handles() -> None:
    ex = extract(
        "звони 0 9 7 - 1 2 3 - 4 5 - 6 7 или tg://resolve?domain=helper_job, viber://chat?number=%2B380971234567"
    )
    assert ex.phones[0] == "+380971234567"
    assert "@helper_job" in ex.telegram
    assert ex.viber == ("+380971234567",)


def test_empty() -> None:
    ex = extract("")
    assert not ex.has_contact and ex.places == () and ex.money == ()


@settings(max_examples=200)
@given(st.text())
def test_never_crashes_on_arbitrary_unicode(text: str) -> None:
    ex = extract(text)
    assert all(p.startswith("+") and p[1:].isdigit() for p in ex.phones)


_PIECES = st.sampled_from(
    ["+48", " 512", "-345", ".678", "@", "t.me/", "wa.me/", "грн", "€", "18-30", " лет", "від",
     "до", " ", "0", "9", "www.", ".com", "Польш", "viber://", "%2B", "k", "\u200b", "ё"]
)  # fmt: skip


@settings(max_examples=200)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_never_crashes_on_contact_like_noise(text: str) -> None:
    extract(text, regions=("PL", "UA"))


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("від 18 до 35 років", 18, 35),
        ("18-30 лет", 18, 30),
        ("age 20-35", 20, 35),
        ("wiek: 19-40", 19, 40),
        ("от 21 года", 21, None),
        ("до 45 лет", None, 45),
        ("строго 18+", 18, None),
    ],
)
def test_ages(text: str, low: int | None, high: int | None) -> None:
    (age,) = extract(text).ages
    assert (age.low, age.high) == (low, high)


def test_dotted_phone_and_extraction_pickles() -> None:
    import pickle

    ex = extract("тел. 097.123.45.67, Romania: +40 721 234 567")
    assert ex.phones == ("+380971234567", "+40721234567")
    assert pickle.loads(pickle.dumps(ex)) == ex  # noqa: S301 - our own object


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Познакомлюсь с парнем", None),  # not Poznań
        ("praca w Poznaniu", "Poznan"),
        ("гамбургер и картошка", None),  # not Hamburg
        ("работа в Гамбурге", "Hamburg"),
        ("Hamburger menu", None),
        ("Милана красивая", None),  # a name, not Milan
        ("в Милане", "Milan"),
        ("Lucru în Germania", "Germany"),
    ],
)
def test_gazetteer_false_friends(text: str, label: str | None) -> None:
    labels = [p.label for p in extract(text).places]
    assert labels == ([label] if label else [])


_CONTACT_FIELDS = (
    "phones",
    "unverified_phones",
    "phone_candidates",
    "emails",
    "urls",
    "domains",
    "telegram",
    "whatsapp",
    "viber",
    "instagram",
)


def _contact_view(ex: object) -> tuple[object, ...]:
    return tuple(getattr(ex, f) for f in _CONTACT_FIELDS)


def test_contacts_only_finds_the_same_contacts_and_nothing_else() -> None:
    text = (
        "Работа в Гeрмании, 12 евро/час, от 20 до 45 лет, wa.me/380971234567, "
        "https://t.me/rabota_de, сайт rabota-de.com, mail HR@rabota.de, instagram @praca_de"
    )
    full = extract(text)
    only = extract(text, contacts_only=True)
    assert _contact_view(only) == _contact_view(full)
    assert only.telegram == ("@rabota_de",) and only.whatsapp == ("+380971234567",)
    assert full.money and full.ages and full.places
    assert only.domains == full.domains == ("rabota-de.com",)  # bare domains are contacts
    assert not (only.money or only.ages or only.places or only.genders)


@settings(max_examples=200)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_contacts_only_equals_the_full_extraction_contacts(text: str) -> None:
    full = extract(text, regions=("PL", "UA"))
    assert _contact_view(extract(text, regions=("PL", "UA"), contacts_only=True)) == (
        _contact_view(full)
    )
