"""Telegram Desktop's HTML export (``messages.html``): one post per message, as the JSON
export gives, never the whole chat as one page."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opennrm.monitoring.ingest import IngestReport, detect_format, iter_posts
from tests.monitoring.test_ingest import HTML

KYIV_WINTER = timezone(timedelta(hours=2))


def _userpic(initials: str) -> str:
    return f"""
      <div class="pull_left userpic_wrap">
       <div class="userpic userpic2" style="width: 42px; height: 42px">
        <div class="initials" style="line-height: 42px">
{initials}
        </div>
       </div>
      </div>"""


def message(
    number: int,
    text: str | None,
    *,
    author: str | None = None,
    date: str = "01.11.2026 10:15:00 UTC+02:00",
    joined: bool = False,
    forwarded_from: str | None = None,
    media: bool = False,
) -> str:
    """One message as Telegram Desktop lays it out (``text`` is markup, already escaped)."""
    classes = "message default clearfix" + (" joined" if joined else "")
    parts = [f'     <div class="{classes}" id="message{number}">']
    if not joined:
        parts.append(_userpic((author or "?")[:1]))
    parts.append('      <div class="body">')
    parts.append(
        f'       <div class="pull_right date details" title="{date}">\n{date[11:16]}\n       </div>'
    )
    if author is not None and not joined:
        parts.append(f'       <div class="from_name">\n{html.escape(author)}\n       </div>')
    if media:
        parts.append(
            '       <div class="media_wrap clearfix">\n'
            '        <a class="photo_wrap clearfix pull_left" href="photos/photo_1@01-11-2026.jpg">'
            '<img class="photo" src="photos/photo_1@01-11-2026_thumb.jpg" '
            'style="width: 260px; height: 195px"/></a>\n       </div>'
        )
    body = f'       <div class="text">\n{text}\n       </div>' if text is not None else ""
    if forwarded_from is not None:
        body = (
            '       <div class="forwarded body">\n'
            f'        <div class="from_name">\n{html.escape(forwarded_from)}'
            '<span class="date details" title="31.10.2026 09:00:00 UTC+02:00"> 31.10.2026 09:00:00'
            "</span>\n        </div>\n"
            f"{body}\n       </div>"
        )
    parts.append(body)
    parts.append("      </div>\n     </div>")
    return "\n".join(parts)


def service(number: int, what: str) -> str:
    return (
        f'     <div class="message service" id="message{number}">\n'
        f'      <div class="body details">\n{html.escape(what)}\n      </div>\n     </div>'
    )


def export_page(chat: str, *messages: str, next_page: str | None = None) -> str:
    """A page of a Telegram Desktop HTML export, with its head, header and pagination."""
    more = (
        f'     <a class="pagination block_link" href="{next_page}">\nNext messages\n     </a>'
        if next_page
        else ""
    )
    return f"""<!DOCTYPE html>
<html>

 <head>

  <meta charset="utf-8"/>
<title>Exported Data</title>

  <meta content="width=device-width, initial-scale=1.0" name="viewport"/>

  <link href="css/style.css" rel="stylesheet"/>

  <script src="js/script.js" type="text/javascript">

  </script>

 </head>

 <body onload="CheckLocation();">

  <div class="page_wrap">

   <div class="page_header">

    <div class="content">

     <div class="text bold">
{html.escape(chat)}
     </div>

    </div>

   </div>

   <div class="page_body chat_page">

    <div class="history">

     <div class="message service" id="message-1">
      <div class="body details">
1 November 2026
      </div>
     </div>
{chr(10).join(messages)}
{more}
    </div>

   </div>

  </div>

 </body>

</html>
"""


CHAT = "Робота в Європі 🇪🇺"
EXPORT = export_page(
    CHAT,
    service(100, "Вакансії Європа created group «Робота в Європі»"),
    message(
        101,
        "Робота в Нідерландах на теплицях, 1700 &euro;.<br>Паспорт залишите нам на час "
        'оформлення. Пиши <a href="https://t.me/nl_jobs_ua">@nl_jobs_ua</a> або '
        '<a href="tel:+380671112233">+38 067 111 22 33</a>',
        author="Вакансії Європа",
    ),
    message(
        102,
        "Хто їде в суботу до Львова? Є вільне місце в машині.",
        date="01.11.2026 11:40:00 UTC+02:00",
        joined=True,
    ),
    message(103, None, author="Оля", media=True, date="01.11.2026 12:00:00 UTC+02:00"),
    message(
        104,
        "Работа в Польше, жильё бесплатно, документы оформим &laquo;под ключ&raquo;",
        author="Дмитрий",
        forwarded_from="Работа Польша",
        date="01.11.2026 12:30:00 UTC+02:00",
    ),
    message(105, "Старий експорт: дата без зони", author="Оля", date="01.11.2026 13:00:00"),
    message(106, "Дата зламана", author="Оля", date="31.02.2026 14:00:00 UTC+02:00"),
    message(
        107, "Фото з підписом: склад у Чехії", author="Оля", media=True, date="01.11.2026 15:00:00"
    ),
    next_page="messages2.html",
)


def ingest(path: Path, **opts: object) -> tuple[list, IngestReport]:  # type: ignore[type-arg]
    report = IngestReport()
    posts = list(iter_posts(path, report=report, **opts))  # type: ignore[arg-type]
    return posts, report


def test_one_post_per_message_with_author_time_and_chat(tmp_path: Path) -> None:
    path = tmp_path / "messages.html"
    path.write_text(EXPORT, encoding="utf-8")
    posts, report = ingest(path, default_tz=KYIV_WINTER)
    assert [p.text for p in posts] == [
        "Робота в Нідерландах на теплицях, 1700 €.\nПаспорт залишите нам на час оформлення. "
        "Пиши @nl_jobs_ua або +38 067 111 22 33",
        "Хто їде в суботу до Львова? Є вільне місце в машині.",
        "Работа в Польше, жильё бесплатно, документы оформим «под ключ»",
        "Старий експорт: дата без зони",
        "Дата зламана",
        "Фото з підписом: склад у Чехії",
    ]
    assert {p.channel for p in posts} == {CHAT}
    assert {p.source for p in posts} == {"telegram"}
    assert {p.url for p in posts} == {None}
    assert [p.author for p in posts] == [
        "Вакансії Європа",
        "Вакансії Європа",  # a joined message continues the sender before it
        "Дмитрий",  # a forwarded message: the one who forwarded it
        "Оля",
        "Оля",
        "Оля",
    ]
    assert [p.record for p in posts] == [
        f"messages.html#message{n}" for n in (101, 102, 104, 105, 106, 107)
    ]
    assert posts[0].posted_at == datetime(2026, 11, 1, 8, 15, tzinfo=UTC)
    assert posts[1].posted_at == datetime(2026, 11, 1, 9, 40, tzinfo=UTC)
    assert posts[3].posted_at == datetime(2026, 11, 1, 13, 0, tzinfo=KYIV_WINTER)  # no zone
    assert posts[4].posted_at is None  # kept: only its date is lost
    # the service message and the photo without a caption are records without text; the
    # day separator is layout, not a record
    assert (report.read, report.ok, report.skipped, report.ignored) == (8, 6, 0, 2)
    assert report.dates_unknown == 1
    assert [(d.where, d.code, d.params) for d in report.details] == [
        ("messages.html#message106", "date.unknown", {"value": "31.02.2026 14:00:00 UTC+02:00"})
    ]


def test_the_walks_file_is_two_posts_not_one(tmp_path: Path) -> None:
    """The layout a user's upload had: a flagged offer and a harmless message stay apart."""
    path = tmp_path / "messages.html"
    path.write_text(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"/><title>Exported Data</title>'
        '</head>\n<body><div class="page_wrap"><div class="page_header"><div class="content">'
        '<div class="text bold">Вакансії Європа</div></div></div>\n<div class="page_body '
        'chat_page"><div class="history">\n<div class="message service" id="message-1">'
        '<div class="body details">1 November 2026</div></div>\n<div class="message default '
        'clearfix" id="message101"><div class="body"><div class="pull_right date details" '
        'title="01.11.2026 10:15:00 UTC+02:00">10:15</div><div class="from_name">Вакансії '
        'Європа</div>\n<div class="text">Паспорт залишите нам.</div></div></div>\n<div '
        'class="message default clearfix joined" id="message102"><div class="body"><div '
        'class="pull_right date details" title="01.11.2026 11:40:00 UTC+02:00">11:40</div>\n'
        '<div class="text">Є вільне місце в машині.</div></div></div>\n</div></div></div>'
        "</body></html>",
        encoding="utf-8",
    )
    posts, _ = ingest(path)
    assert [(p.text, p.author) for p in posts] == [
        ("Паспорт залишите нам.", "Вакансії Європа"),
        ("Є вільне місце в машині.", "Вакансії Європа"),
    ]


@pytest.mark.parametrize("fmt", ["auto", None, "html", "telegram"])
@pytest.mark.parametrize("name", ["messages.html", "messages2.html", "export"])
def test_recognised_by_its_markup_whatever_the_format_or_name(
    tmp_path: Path, fmt: str | None, name: str
) -> None:
    path = tmp_path / name
    path.write_text(EXPORT, encoding="utf-8")
    if fmt in ("auto", None):
        assert detect_format(path) == "html"  # the html reader hands it on
    posts, report = ingest(path, format=fmt)
    assert len(posts) == 6
    assert posts[0].record == f"{name}#message101"
    assert report.read == 8


def test_recognised_with_its_attributes_in_another_order(tmp_path: Path) -> None:
    path = tmp_path / "messages.html"
    swapped = re.sub(r'class="(message [^"]*)" (id="[^"]*")', r'\2 class="\1"', EXPORT)
    assert 'class="message default clearfix" id=' not in swapped
    path.write_text(swapped, encoding="utf-8")
    posts, _ = ingest(path)
    assert len(posts) == 6


def test_an_ordinary_page_is_still_one_post(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    posts, report = ingest(path)
    assert len(posts) == 1 and posts[0].source == "html"
    assert report.read == 1


def test_a_page_that_only_mentions_messages_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html><body><div class="history"><p>Історія</p></div>'
        '<div class="message">Робота в Польщі</div><div class="message">Друге</div>'
        "</body></html>",
        encoding="utf-8",
    )
    posts, _ = ingest(path)
    assert [p.text for p in posts] == ["Історія\nРобота в Польщі\nДруге"]


def test_a_read_through_a_stream_that_cannot_seek_gives_the_same(tmp_path: Path) -> None:
    body = EXPORT.encode()
    path = tmp_path / "messages.html"
    path.write_bytes(body)
    expected, _ = ingest(path)

    def opener() -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(body), buffer_size=1024)  # type: ignore[arg-type]

    report = IngestReport()
    got = list(iter_posts("spool", opener=opener, name="messages.html", report=report))
    assert got == expected


def test_a_long_chat_streams_across_chunks(tmp_path: Path) -> None:
    messages = [
        message(i, f"Повідомлення {i} " + "x" * 200, author="Оля", joined=i % 3 != 1)
        for i in range(1, 1001)
    ]
    path = tmp_path / "messages.html"
    path.write_text(export_page(CHAT, *messages), encoding="utf-8")
    posts, report = ingest(path)
    assert len(posts) == 1000 == report.ok
    assert {p.author for p in posts} == {"Оля"}
    assert posts[-1].text.startswith("Повідомлення 1000 ")


def test_an_oversized_message_costs_only_itself(tmp_path: Path) -> None:
    path = tmp_path / "messages.html"
    path.write_text(
        export_page(
            CHAT,
            message(1, "a" * 5000, author="Оля"),
            message(2, "Робота в Польщі", joined=True),
        ),
        encoding="utf-8",
    )
    posts, report = ingest(path, max_chars=1000)
    assert [(p.text, p.author) for p in posts] == [("Робота в Польщі", "Оля")]
    assert [(d.where, d.code) for d in report.details] == [
        ("messages.html#message1", "record.oversized")
    ]
    assert int(report.details[0].params["chars"]) > 5000  # all of it counted, not kept


def test_broken_markup_loses_no_message(tmp_path: Path) -> None:
    """A message whose closing tags are missing ends where the next message begins."""
    path = tmp_path / "messages.html"
    page = export_page(
        CHAT,
        '<div class="message default clearfix" id="message1"><div class="body">'
        '<div class="from_name">Оля</div><div class="text">Перше',
        message(2, "Друге", author="Петро"),
    )
    path.write_text(page, encoding="utf-8")
    posts, _ = ingest(path)
    assert [(p.text, p.author) for p in posts] == [("Перше", "Оля"), ("Друге", "Петро")]


_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), include_characters="\n"
    ),
    min_size=1,
    max_size=40,
).filter(
    # what Telegram writes: a message's text without blanks around it or its line breaks
    lambda t: t.strip() == t and t and all(line.strip() == line for line in t.split("\n"))
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_TEXT, min_size=1, max_size=8))
def test_every_message_text_comes_back_as_written(tmp_path: Path, texts: list[str]) -> None:
    path = tmp_path / "messages.html"
    lines = ["<br>".join(html.escape(part) for part in t.split("\n")) for t in texts]
    path.write_text(
        export_page(CHAT, *(message(i + 1, t, author="Оля") for i, t in enumerate(lines))),
        encoding="utf-8",
    )
    report = IngestReport()
    posts = list(iter_posts(path, report=report, seen=None))
    assert report.read == len(texts)
    assert report.ok + report.duplicates == len(texts)
    assert {p.text for p in posts} == set(texts)


def test_the_same_message_from_both_exports_is_one_post(tmp_path: Path) -> None:
    """The HTML export's zoned time is read in UTC, as the JSON export's ``date_unixtime``:
    importing both exports of a chat stores each message once."""
    page = tmp_path / "messages.html"
    page.write_text(
        export_page(CHAT, message(7, "Робота в Польщі<br>житло безкоштовно", author="Оля")),
        encoding="utf-8",
    )
    result = tmp_path / "result.json"
    result.write_text(
        json.dumps(
            {
                "name": CHAT,
                "messages": [
                    {
                        "id": 7, "type": "message", "date": "2026-11-01T10:15:00",
                        "date_unixtime": "1793520900", "from": "Оля",
                        "text": "Робота в Польщі\nжитло безкоштовно",
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    seen: set[str] = set()
    report = IngestReport()
    first = list(iter_posts(page, report=report, seen=seen))
    again = list(iter_posts(result, report=report, seen=seen))
    assert len(first) == 1 and again == [] and report.duplicates == 1
