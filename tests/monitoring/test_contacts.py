"""Contact extraction: the hand-written evaluation set, written forms, and precision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opennrm.monitoring._contacts import prepare_digits
from opennrm.monitoring.extract import extract

EVAL = Path(__file__).parent / "data" / "contacts_eval.jsonl"


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in EVAL.read_text("utf-8").splitlines() if line.strip()]


def _same_number(found: str, gold: str) -> bool:
    found, gold = found.lstrip("+"), gold.lstrip("+")
    return found[-9:] == gold[-9:] if min(len(found), len(gold)) >= 9 else found == gold


def _phones(text: str) -> list[str]:
    ex = extract(text)
    return [*(p[1:] for p in ex.phones), *(p.lstrip("+") for p in ex.unverified_phones)]


def _hosts(text: str) -> set[str]:
    return set(extract(text).domains)


def test_the_evaluation_set_covers_every_language_and_ordinary_messages() -> None:
    rows = _rows()
    assert {r["lang"] for r in rows} == {"ru", "uk", "en", "pl", "ro"}
    assert sum(1 for r in rows if not r["phones"] and not r["hosts"]) >= 10


def test_phone_recall_on_the_evaluation_set() -> None:
    gold = [(r["text"], g) for r in _rows() for g in r["phones"]]  # type: ignore[attr-defined]
    missed = [(t, g) for t, g in gold if not any(_same_number(p, g) for p in _phones(t))]
    assert len(gold) >= 50
    assert missed == []


def test_web_recall_on_the_evaluation_set() -> None:
    gold = [(r["text"], g) for r in _rows() for g in r["hosts"]]  # type: ignore[attr-defined]
    missed = [(t, g) for t, g in gold if not any(h == g or h.endswith("." + g) for h in _hosts(t))]
    assert len(gold) >= 20
    assert missed == []


def test_nothing_is_found_in_the_ordinary_messages_of_the_set() -> None:
    quiet = [r["text"] for r in _rows() if not r["phones"] and not r["hosts"]]
    noisy = [(t, _phones(t), _hosts(t)) for t in quiet if _phones(t) or _hosts(t)]  # type: ignore[arg-type]
    assert noisy == []


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("No-6200992462", None),  # glued to a word, valid nowhere configured: unverified
        ("тел0971234567", "+380971234567"),
        ("O5O l23 45 67", "+380501234567"),
        ("0️⃣9️⃣7️⃣1️⃣2️⃣3️⃣4️⃣5️⃣6️⃣7️⃣", "+380971234567"),
        ("０９７１２３４５６７", "+380971234567"),
        ("ноль девять семь один два три четыре пять шесть семь", "+380971234567"),
        ("нуль дев'ять сім 123 45 67", "+380971234567"),
        ("zero șapte doi unu doi trei patru cinci șase șapte", "+40721234567"),
        ("(097) 123-45-67", "+380971234567"),
        ("097.123.45.67", "+380971234567"),
        ("+48 512 345 678", "+48512345678"),
    ],
)
def test_written_forms(text: str, e164: str | None) -> None:
    ex = extract(text)
    if e164 is None:
        assert ex.phones == () and ex.unverified_phones
    else:
        assert e164 in ex.phones


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        # the long-distance "8" of the former Soviet dialling plan, still how most Russian
        # and many Ukrainian posts write a number: the same contact as its E.164 form, so
        # the post joins a network with the posts that write it with "+7" or "+38"
        ("Срочно грузчики в Москву, тел. 8-916-555-12-34", "+79165551234"),
        ("звоните 89165551234", "+79165551234"),
        ("Звоните 8 067 123 45 67", "+380671234567"),
        ("Тел.: 8 (050) 765-43-21", "+380507654321"),
        ("8 (800) 555-35-35 звонок бесплатный", "+78005553535"),
    ],
)
def test_a_number_after_the_long_distance_8_is_verified(text: str, e164: str) -> None:
    ex = extract(text)
    assert ex.phones == (e164,), (ex.phones, ex.unverified_phones)


def test_lists_are_split_into_numbers() -> None:
    ex = extract("050 123 45 67 / 067 765 43 21; 0931112233,0632223344")
    assert ex.phones == ("+380501234567", "+380677654321", "+380931112233", "+380632223344")


def test_unverified_numbers_are_kept_with_a_confidence() -> None:
    ex = extract("Call 9891943823 now", regions=("UA",))
    (cand,) = ex.phone_candidates
    assert cand.e164 is None and cand.digits == "9891943823"
    assert 0.5 <= cand.confidence < 1.0
    assert ex.unverified_phones == ("9891943823",)


def test_a_short_number_after_a_word_for_calling_is_kept_and_after_number_not() -> None:
    assert extract("call 67441233 look for irene", regions=("UA",)).unverified_phones == (
        "67441233",
    )
    assert extract("Номер зачётки 20191234, группа ИДБ-19-07").unverified_phones == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Send STOP FRND to 62468", "62468"),
        ("txt MUSIC to 87066 TnCs www.Ldew.com", "87066"),
        ("Txt word: COLLECT to No: 83355!", "83355"),
        ("claim your prize text money 2 88600 over", "88600"),
        ("Text 82277 now", "82277"),
        ("Отправьте SMS с текстом ДА на номер 7132", "7132"),
        ("Надішліть слово ТАК на 5533, щоб отримати виграш", "5533"),
        ("Wyślij SMS o treści PRACA na numer 7155", "7155"),
        ("Trimite mesajul DA la 1234 acum", "1234"),
        # a keyword with a digit, an opt-out, text-speak
        ("to maximize ur cash-in now send HMV1 to 86688 only 150p/msg", "86688"),
        ("Just txt PT2 to 87575. so get txtin now", "87575"),
        ("register now!SKY OPT OUT to 88088", "88088"),
        ("rply with POLY TITLE to 8007 eg POLY BREATHE1", "8007"),
        ("Надішліть КОД2 на 5533", "5533"),
    ],
)
def test_service_short_codes_are_kept_unverified(text: str, code: str) -> None:
    ex = extract(text)
    assert code in ex.unverified_phones
    cand = next(c for c in ex.phone_candidates if c.digits == code)
    assert cand.e164 is None and cand.confidence == pytest.approx(0.6)


@pytest.mark.parametrize(
    "text",
    [
        "send 50 to 1234 £",  # an amount between
        "напиши мне на 2000 рублей больше",
        "в 2023 году на 1500 человек",
        "Reply YES-910 or NO-910",
        "I paid 2000 to him",
        "Пиши на 2024 год планы",  # a year
        "text me on 1999",
        "Send the report to 2025-01-15",
        "send v2 to 1980 people",  # a year again, after a keyword with a digit
        "Send 3 boxes to 4500 people",  # a count, not a keyword with a digit
    ],
)
def test_not_short_codes(text: str) -> None:
    assert extract(text).unverified_phones == ()


@given(st.text(max_size=80))
def test_short_codes_are_4_to_6_digit_runs_of_the_text(text: str) -> None:
    from opennrm.monitoring._contacts import find_short_codes

    for cand in find_short_codes(text):
        assert cand.digits.isdigit() and 4 <= len(cand.digits) <= 6 and cand.digits in text


def test_countries_named_in_the_text_verify_numbers() -> None:
    assert extract("Робота в Італії, тел 333 123 4567", regions=("UA",)).phones == (
        "+393331234567",
    )


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Hiring for top BPOs with good sal.DAYSHIFT av.Tanvi/9953921288", "919953921288"),
        ("SMS or Call MS @9717470558", "919717470558"),
        ("Вакансія в Польщі, пишіть @0501234567 у вайбер", "380501234567"),
        ("Робота/0671234567 — житло надаємо", "380671234567"),
        ("For Query call@9250230534", "9250230534"),
        # "camcorder" holds "order", which is not an order number
        ("HALF PRICE Rental camcorder call 08000930705 or reply", "8000930705"),
    ],
)
def test_a_number_after_a_words_slash_or_an_at_sign(text: str, number: str) -> None:
    assert any(_same_number(found, number) for found in _phones(text)), _phones(text)


@pytest.mark.parametrize(
    "text",
    [
        "Встреча 15.01.2025 в 18:30",
        "Бюджет 1 200 000 руб",
        "Стипендия 1 500 000 грн на всех",
        "версия 1.2.3, тираж 3000-4000 штук",
        "3.14159265 — это пи",
        "https://example.com/item?id=123456789",
        "ivan1234567@gmail.com",
        # versions and invoice numbers after a word's slash are not one number
        "Администрирование Win2000/XP/Vista/7/2003/2008",
        "Numer faktury FV/2024/11/0012345, kwota 1 234,56 zł",
        "пишіть на пошту olena@0501234567.com.ua",
    ],
)
def test_not_phones(text: str) -> None:
    ex = extract(text)
    assert ex.phones == () and ex.unverified_phones == ()


@pytest.mark.parametrize(
    ("text", "url", "host"),
    [
        ("http:/bit.do/abc", "http://bit.do/abc", "bit.do"),
        ("http//foo.com/x", "http://foo.com/x", "foo.com"),
        ("hxxps://evil.xyz/a", "https://evil.xyz/a", "evil.xyz"),
        ("http:// 103.208.86.96/login", "http://103.208.86.96/login", "103.208.86.96"),
        ("WWW.ASJESUS.COM", "www.asjesus.com", "asjesus.com"),
        ("wap. mobsi.com", None, "wap.mobsi.com"),
        ("site . com", None, "site.com"),
        ("jobs-overseas dot com", None, "jobs-overseas.com"),
        ("kordon-work[.]com", None, "kordon-work.com"),
        ("PocketBabe.co.uk", None, "pocketbabe.co.uk"),
        ("icicibank.com", None, "icicibank.com"),
        ("999.md", None, "999.md"),
        # spaced dots after an explicit scheme; text glued to an explicit address
        ("Goto http://doit. mymoby. tv/ to collect", "http://doit.mymoby.tv/", "doit.mymoby.tv"),
        ("http://img. sms. ac/W/icmb3", "http://img.sms.ac/W/icmb3", "img.sms.ac"),
        ("T&Cs www.Ldew.com.subs16+1win150ppmx3", "www.ldew.com", "ldew.com"),
        ("TnCs www.Ldew.com1win150ppmx3age16", "www.ldew.com", "ldew.com"),
        ("заходьте на www.robota.com.uaТЕРМІНОВО", "www.robota.com.ua", "robota.com.ua"),
        # a country code that is an everyday word: counted with a path or "www."
        ("see smsg.it/fCVbD now", None, "smsg.it"),
        ("www.studio.me", "www.studio.me", "studio.me"),
        ("Register on stake777.us and get a bonus", None, "stake777.us"),  # a name, not a word
        ("у кого есть аккаунт в repack.me?", None, "repack.me"),  # nothing follows
        ("канал prokyratyra.t.me - пишите", None, "prokyratyra.t.me"),
    ],
)
def test_web_forms(text: str, url: str | None, host: str) -> None:
    ex = extract(text)
    assert host in ex.domains
    if url is not None:
        assert url in ex.urls


@pytest.mark.parametrize(
    "text",
    [
        "читаю README.md и setup.py",
        "self.name = x; os.path.join",
        "Sorry.I will call later.ok?",
        "т.е. и т.д.",
        "hr.agency (at) mail.ru",  # an e-mail, not two sites
        # chat without a space after the full stop: country codes that are words
        "Stupid.it is not possible",
        "Not sad already lar. Me watching tv now.",
        "Loosu go to hospital. De dont let it careless.",
        "Dhoni have luck to win some big title.so we will win:)",
        "i will ask my mom and send you.my mom is out of reach now.",
        "Take care c u soon.xxx",
        "Sorry da thangam.it's my mistake.",
        "see http://site. Then go",  # after a scheme, joined only into a real name
    ],
)
def test_not_domains(text: str) -> None:
    assert extract(text).domains == ()


def test_obfuscated_emails() -> None:
    ex = extract("пишите anna (at) mail.ru или praca.pl [at] gmail [dot] com")
    assert ex.emails == ("anna@mail.ru", "praca.pl@gmail.com")


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=40)


@given(_DIGITS)
def test_prepare_digits_leaves_ascii_digits_alone(text: str) -> None:
    assert prepare_digits(text) == text


@given(
    st.sampled_from(["97", "50", "67", "63", "93", "99"]),
    st.integers(min_value=1_000_000, max_value=9_999_999),
    st.sampled_from([" ", "-", ".", ""]),
    st.sampled_from(["тел ", "Call ", "", "Пиши:", "No-"]),
)
def test_any_formatting_of_a_valid_mobile_is_found(
    operator: str, rest: int, sep: str, before: str
) -> None:
    digits = f"0{operator}{rest}"
    text = before + sep.join([digits[:3], digits[3:6], digits[6:8], digits[8:]]) + " ok"
    assert f"+380{digits[1:]}" in extract(text, regions=("UA",)).phones


_WEB_PIECES = st.sampled_from(
    ["www.", "http://", "https://", "robota", "Ldew", ".com", ".ua", ".co.uk", ".net", "1win",
     "UN", "ТЕРМІНОВО", "16", "/", "?", " ", ".", "@", "0501234567", "Tanvi", "call"]
)  # fmt: skip


@given(st.lists(_WEB_PIECES, max_size=20).map("".join))
def test_a_found_host_is_written_in_the_text(text: str) -> None:
    # cutting glued text off an address never invents a name: the host is in the text
    # (spacing repaired: "http://doit. mymoby. tv" reads "doit.mymoby.tv")
    squeezed = "".join(text.lower().split())
    for host in extract(text).domains:
        assert host in squeezed, (text, host)
