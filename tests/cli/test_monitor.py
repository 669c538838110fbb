"""`opennrm monitor` says everything in en, uk or ru; the files it writes stay the same.

The real commands run through click's runner (and once as a real process, to show the
locale is read and Django is never imported).
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opennrm.cli import main

SPAM = [
    "Робота за кордоном для дівчат, житло надається, оплата {n} євро, пиши в лс @job{n}",
    "Работа за границей, паспорт оставите нам, {n} евро в день, звоните +380 67 123 45 67",
    "Easy money from home, earn {n} per day, DM me",
]
HAM = [
    "Кто знает, во сколько открывается вокзал {n}?",
    "Дякую всім, документи на візу вже подали {n}",
    "Does anyone know a dentist near station {n}?",
]
NOT_JSON = "{broken\n"


def run(*args: object, env: dict[str, str | None] | None = None) -> Result:
    result = CliRunner().invoke(main, ["monitor", *map(str, args)], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("cli") / "posts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "body", "is_spam"])
        for i in range(60):
            label = i % 2
            template = (SPAM if label else HAM)[i % 3]
            writer.writerow([i, template.format(n=rng.randint(10, 99)), label])
    return path


@pytest.fixture(scope="module")
def model(data: Path) -> Path:
    out = data.parent / "model"
    result = CliRunner().invoke(
        main,
        ["monitor", "train", "--input", str(data), "--text-column", "body",
     "--label-column", "is_spam", "--model", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def bad_posts(tmp_path: Path) -> Path:
    """Two good posts, one record without text, twelve that are not JSON."""
    path = tmp_path / "bad.jsonl"
    lines = ['{"text": "Робота в Польщі, +48 512 345 678"}\n', '{"title": "no text here"}\n']
    lines += [NOT_JSON * 12, '{"text": "Ще одна вакансія, @jobs_pl"}\n']
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_ingest_says_the_bad_records_in_ukrainian(bad_posts: Path, tmp_path: Path) -> None:
    result = run("ingest", bad_posts, "--output", tmp_path / "uk.jsonl", "--language", "uk")
    assert result.exit_code == 0, result.output
    err = result.stderr
    assert "прочитано 15, прийнято 2, пропущено 13, повторів 0, проігноровано 0" in err
    assert (
        "bad.jsonl:2: Немає поля з текстом (шукали: text/message/content/body/post"
        "/текст/повідомлення/сообщение/допис/пост); пропущено." in err
    )
    assert "bad.jsonl:3: Недійсний JSON (на символі 2); пропущено." in err
    assert "  ... і ще 3" in err  # 13 skipped, 10 shown
    assert "записано 2 дописи у " in err
    assert "skipped" not in err and "wrote" not in err and "read " not in err
    english = run("ingest", bad_posts, "--output", tmp_path / "en.jsonl")
    assert "read 15, ok 2, skipped 13" in english.stderr
    assert "bad.jsonl:3: invalid JSON" in english.stderr
    assert "  ... and 3 more" in english.stderr and "wrote 2 posts to" in english.stderr
    # the posts written are the same in every language
    assert (tmp_path / "uk.jsonl").read_bytes() == (tmp_path / "en.jsonl").read_bytes()


def test_extract_speaks_the_locale_of_the_environment(bad_posts: Path, tmp_path: Path) -> None:
    locale = {"OPENNRM_LANGUAGE": None, "LC_ALL": None, "LANG": "ru_RU.UTF-8"}
    result = run("extract", "-i", bad_posts, "-o", tmp_path / "ru.csv", env=locale)
    assert result.exit_code == 0, result.output
    assert "bad.jsonl:2: нет текста в поле 'text', пропущено" in result.stderr
    assert "bad.jsonl:3: нет текста в поле 'text', пропущено" in result.stderr
    assert "записано 2 строки в " in result.stderr and "пропущено 13" in result.stderr
    english = run("extract", "-i", bad_posts, "-o", tmp_path / "en.csv")
    assert "bad.jsonl:2: no 'text' text, skipped" in english.stderr
    assert "wrote 2 rows to" in english.stderr
    assert (tmp_path / "ru.csv").read_bytes() == (tmp_path / "en.csv").read_bytes()
    # OPENNRM_LANGUAGE wins over the locale; --language over both
    said = run("extract", "-i", bad_posts, "-o", tmp_path / "o.csv", env={**locale,
               "OPENNRM_LANGUAGE": "uk"})  # fmt: skip
    assert "немає тексту в полі 'text', пропущено" in said.stderr
    said = run("--language", "en", "extract", "-i", bad_posts, "-o", tmp_path / "o.csv",
               env=locale)  # fmt: skip
    assert "no 'text' text, skipped" in said.stderr


def test_bad_csv_rows_are_said_in_ukrainian(tmp_path: Path) -> None:
    path = tmp_path / "ads.csv"
    path.write_text("id,message\n1,Робота в Польщі\n2,зайве,поле\n", encoding="utf-8")
    result = run("extract", "-i", path, "-o", tmp_path / "o.csv", "--language", "uk")
    assert result.exit_code == 0, result.output
    assert "ads.csv:3: неправильна кількість полів, пропущено" in result.stderr
    assert "записано 1 рядок у " in result.stderr


def test_a_stray_quote_costs_extract_one_row_not_the_rest_of_the_file(tmp_path: Path) -> None:
    # one unclosed quote in row 3 ran the record on to the end: "wrote 2 rows; skipped 1",
    # named by the file's last line
    path = tmp_path / "ads.csv"
    rows = [f"{i},Робота номер {i} у Польщі" for i in range(1, 501)]
    rows[2] = '3,"Робота без другої лапки'
    path.write_text("id,message\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = run("extract", "-i", path, "-o", tmp_path / "o.csv", "--language", "uk")
    assert result.exit_code == 0, result.output
    assert "ads.csv:4: відкриту в цьому рядку лапку ніде не закрито, пропущено" in result.stderr
    assert "записано 499 рядків у " in result.stderr


ERRORS = [
    ("uk", ["extract", "-i", "{tmp}/missing.csv", "-o", "{tmp}/o.csv"],
     "Помилка: {tmp}/missing.csv: такого файлу немає"),
    ("ru", ["extract", "-i", "{ads}", "-o", "{tmp}/o.csv", "--text-column", "nope"],
     "Ошибка: {ads}: нет столбца 'nope' (столбцы: id, message)"),
    ("uk", ["extract", "-i", "{ads}", "-o", "{tmp}/o.csv", "--regions", "Ukraine"],
     "Помилка: --regions: очікуються коди країн ISO, як-от UA,PL,MD; отримано 'Ukraine'"),
    ("uk", ["extract", "-i", "{ads}", "-o", "{tmp}/o.csv", "--encoding", "klingon"],
     "Помилка: {ads}: невідоме кодування 'klingon'"),
    ("ru", ["ingest", "{tmp}/missing.json", "-o", "{tmp}/o.jsonl"],
     "Ошибка: {tmp}/missing.json: такого файла нет"),
    ("uk", ["ingest", "{ads}", "-o", "{tmp}/o.jsonl", "--text-column", "nope"],
     "Помилка: {ads}: немає текстового стовпця nope (стовпців у файлі: 2); "
     "вкажіть --text-column"),
    ("uk", ["train", "--input", "{ads}", "--text-column", "message", "--label-column",
            "id", "--model", "{tmp}/m"],
     "Помилка: {ads}: стовпець 'id', рядок 3: мітка '2' — не 0/1"),
    ("ru", ["train", "--input", "{ads}", "--text-column", "message", "--label-column",
            "message", "--model", "{tmp}/m"],
     "Ошибка: {ads}: столбец 'message', строка 2: метка"),
    ("uk", ["score", "--model", "{tmp}", "--input", "{ads}", "--text-column", "message",
            "--output", "{tmp}/o.csv"],
     "Помилка: {tmp}: це не тека моделі (потрібні manifest.json і model.joblib)"),
    ("ru", ["cluster", "--input", "{ads}", "--text-column", "text", "--output", "{tmp}/o.csv"],
     "Ошибка: {ads}: нет столбца 'text' (столбцы: id, message)"),
    ("uk", ["ingest", "{ads}", "-o", "{tmp}/no/such/folder.jsonl"],
     "Помилка: {tmp}/no/such/folder.jsonl: такого файлу або теки немає"),
    ("ru", ["cluster", "--input", "{bad}", "--text-column", "text", "--output", "{tmp}/o.csv"],
     "Ошибка: {bad}: не удаётся прочитать CSV (не текст UTF-8)"),
    ("uk", ["train", "--input", "{ads}", "--text-column", "message", "--label-column", "id",
            "--model", "{tmp}/m", "--flags", "{bad}"],
     "Помилка: {bad}: це не файл ознак ("),
    ("ru", ["score", "--input", "{ads}", "--text-column", "message", "--output", "{tmp}/o.csv",
            "--flags", "{tmp}/flags.json"],
     "Ошибка: {tmp}/flags.json: такого файла или каталога нет"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("language", "args", "said"),
    ERRORS,
    ids=[f"{i}-{language}-{args[0]}" for i, (language, args, _) in enumerate(ERRORS)],
)
def test_input_errors_are_said_in_the_language(
    tmp_path: Path, language: str, args: list[str], said: str
) -> None:
    ads = tmp_path / "ads.csv"
    ads.write_text("id,message\n1,Робота в Польщі\n2,Praca w Niemczech\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text\n\xff\xfe\xfa broken\n")
    fill = {"tmp": tmp_path, "ads": ads, "bad": bad}
    result = run(*(a.format(**fill) for a in args), "--language", language)
    assert result.exit_code == 2, result.output
    assert said.format(**fill) in result.stderr
    assert "Error" not in result.output and "Usage" not in result.output


def test_train_reports_in_ukrainian_with_decimal_commas(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    args = ["train", "--input", data, "--text-column", "body", "--label-column", "is_spam",
            "--model", out, "--false-alarm-rate", "0.05"]  # fmt: skip
    result = run(*args, "--language", "uk")
    assert result.exit_code == 0, result.output
    assert "навчання на 60 рядках (позитивних: 30) з 1 файлу, 3-кратна перехресна перевірка" in (
        result.stderr
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["оцінювач", "поріг", "точн.", "повн.", "F1", "AUC", "Brier"]
    assert [line.split()[0] for line in lines[1:4]] == ["модель", "разом", "ознаки"]
    for line in lines[1:4]:  # every figure with a decimal comma
        assert all(re.fullmatch(r"\d,\d{2,3}", cell) for cell in line.split()[1:]), line
    assert re.search(r"будь-яка ознака: точність \d,\d{3}, повнота \d,\d{3}", result.stdout)
    assert "калібрування (разом, на відкладених блоках): прогноз -> спостереження (n)" in lines
    assert re.search(r"^  0,0-0,1: \d,\d{3} -> \d,\d{3} \(\d+\)$", result.stdout, re.M)
    assert re.search(
        rf"модель збережено в {re.escape(str(out))} \(поріг \d,\d{{3}}, позначено не більше "
        r"5,00\u00a0% звичайних рядків у кожному джерелі \(на відкладених блоках\); "
        r"навчання тривало \d+,\d с процесорного часу\)",
        result.stdout,
    )
    assert not re.search(r"\d\.\d", result.stdout)
    # the manifest, a file for machines, stays as it was
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert "at most 5.00% of ordinary rows" in manifest["threshold_rule"]
    english = run(*args)
    assert english.stdout.splitlines()[0].split()[0] == "scorer"
    assert "max F1" not in english.stdout and "model saved to" in english.stdout


def test_train_says_when_a_label_has_too_few_rows_in_russian(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("text,label\nа,1\nб,0\nв,0\n", encoding="utf-8")
    result = run("train", "--input", path, "--text-column", "text", "--label-column", "label",
                 "--model", tmp_path / "m", "--language", "ru")  # fmt: skip
    assert result.exit_code == 2
    assert (
        f"Ошибка: {path}: в столбце 'label' мало строк каждой метки: нужно не менее 3 "
        "(положительных: 1, отрицательных: 2)"
    ) in result.stderr


def test_score_and_cluster_summaries_in_russian_and_ukrainian(
    data: Path, model: Path, tmp_path: Path
) -> None:
    base = ["--input", data, "--text-column", "body"]
    result = run("score", "--model", model, *base, "--output", tmp_path / "ru.csv",
                 "--language", "ru")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary, *top = result.stdout.splitlines()
    assert re.fullmatch(
        r"оценено 60 сообщений: отмечено \d+ \(вербовка: \d+, другой спам: \d+\) -> .*ru\.csv",
        summary,
    )
    assert top, result.stdout  # the flags that fired most, by their Russian labels
    for line in top:
        label = line.rsplit(":", 1)[0].strip()
        assert re.search("[а-яё]", label, re.I) and not re.fullmatch(r"[a-z_.]+", label), line
    english = run("score", "--model", model, *base, "--output", tmp_path / "en.csv")
    assert english.stdout.startswith("scored 60 posts: ")
    assert (tmp_path / "ru.csv").read_bytes() == (tmp_path / "en.csv").read_bytes()

    result = run("cluster", *base, "--output", tmp_path / "uk.csv", "--language", "uk")
    assert result.exit_code == 0, result.output
    assert re.match(
        r"згруповано 60 дописів: кампаній \d+ \(дописів у них: \d+\), мереж контактів \d+ -> ",
        result.stdout,
    )


def test_export_summary_in_russian(bad_posts: Path, tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    run("ingest", bad_posts, "-o", posts)
    result = run("export", "-i", posts, "-o", tmp_path / "b.json", "--language", "ru")
    assert result.exit_code == 0, result.output
    assert re.search(r"записано \d+ индикатор\w* \(сообщений: 2\) в ", result.stderr)


def test_a_real_process_reads_the_locale_and_never_imports_django(
    bad_posts: Path, tmp_path: Path
) -> None:
    code = (
        "import sys\n"
        "from opennrm.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as exit:\n"
        "    print('django' in sys.modules, file=sys.stderr)\n"
        "    raise\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENNRM_LANGUAGE", "LC_ALL")}
    env.update(LANG="uk_UA.UTF-8", LC_MESSAGES="uk_UA.UTF-8")
    args = ["monitor", "ingest", str(bad_posts), "-o", str(tmp_path / "o.jsonl")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "bad.jsonl:3: Недійсний JSON (на символі 2); пропущено." in done.stderr
    assert done.stderr.splitlines()[-1] == "False"  # no Django on an analyst's laptop
