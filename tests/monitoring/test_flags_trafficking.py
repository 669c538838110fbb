"""Trafficking-specific flags: a positive and a tricky negative in every language.

The negatives are what an ordinary post, a legitimate vacancy or a warning to workers
says with the same words ("never hand your passport to an employer").
"""

from __future__ import annotations

import pytest

from opennrm.monitoring._flags import flag_score, load_flags
from opennrm.monitoring.scoring import DEFAULT_FLAGS_ONLY_THRESHOLD, score_texts

FLAGS = load_flags()

# (flag, language, text, fires)
CASES = [
    # documents kept by the employer
    (
        "control.documents_withheld",
        "ru",
        "Паспорт оставите нам на время работы, так надёжнее",
        True,
    ),
    ("control.documents_withheld", "ru", "Забираем документы на хранение до конца контракта", True),
    ("control.documents_withheld", "ru", "Никогда не отдавайте паспорт работодателю", False),
    (
        "control.documents_withheld",
        "ru",
        "Паспорт нужен для оформления договора, возьмите с собой",
        False,
    ),
    ("control.documents_withheld", "uk", "Паспорт залишите нам, повернемо після сезону", True),
    ("control.documents_withheld", "uk", "Роботодавець не має права забирати ваш паспорт", False),
    ("control.documents_withheld", "pl", "Paszport zostaje u pracodawcy do końca umowy", True),
    ("control.documents_withheld", "pl", "Nigdy nie oddawaj paszportu pracodawcy", False),
    (
        "control.documents_withheld",
        "ro",
        "Pașaportul rămâne la noi pe toată durata contractului",
        True,
    ),
    ("control.documents_withheld", "ro", "Nu predați niciodată pașaportul angajatorului", False),
    (
        "control.documents_withheld",
        "en",
        "Your passport will be kept by the employer for safety",
        True,
    ),
    ("control.documents_withheld", "en", "Keep your passport with you at all times", False),
    # debt for travel to be worked off
    # holders and verbs a walk of the app found missing ("тримає", "держит", "у керівника")
    (
        "control.documents_withheld",
        "uk",
        "Робота в Чехії. Документи тримає роботодавець до кінця контракту",
        True,
    ),
    ("control.documents_withheld", "uk", "Паспорти зберігаються у керівника", True),
    ("control.documents_withheld", "uk", "Паспорт буде у бригадира весь сезон", True),
    (
        "control.documents_withheld",
        "uk",
        "Тримайте документи при собі, роботодавець не має права їх забирати",
        False,
    ),
    ("control.documents_withheld", "ru", "Документы держит работодатель до конца сезона", True),
    (
        "control.documents_withheld",
        "ru",
        "Держите документы при себе, работодатель не вправе их забирать",
        False,
    ),
    ("debt.travel_work_off", "ru", "Долг за дорогу отработаете за первый месяц", True),
    ("debt.travel_work_off", "ru", "Билет в долг, потом вычтем из зарплаты", True),
    ("debt.travel_work_off", "ru", "Дорогу оплачиваем, из зарплаты ничего не вычитаем", False),
    ("debt.travel_work_off", "ru", "Как оплатить долг за общежитие через личный кабинет?", False),
    ("debt.travel_work_off", "uk", "Дорогу відпрацюєте на місці, перший місяць без зарплати", True),
    ("debt.travel_work_off", "uk", "Проїзд компенсуємо, нічого не вираховуємо", False),
    ("debt.travel_work_off", "pl", "Bilet odpracujesz w pierwszym miesiącu", True),
    ("debt.travel_work_off", "pl", "Bilet zwracamy po miesiącu, nic nie potrącamy", False),
    ("debt.travel_work_off", "ro", "Datoria pentru drum o lucrați în prima lună", True),
    (
        "debt.travel_work_off",
        "ro",
        "Drumul este plătit de firmă, nu se reține nimic din salariu",
        False,
    ),
    ("debt.travel_work_off", "en", "Flight costs will be deducted from your wages", True),
    ("debt.travel_work_off", "en", "We pay your flight; nothing is deducted from wages", False),
    # fees up front
    ("fees.advance", "ru", "Оплата за трудоустройство 300 евро заранее", True),
    ("fees.advance", "ru", "Никаких платежей, работодатель всё оплачивает", False),
    ("fees.advance", "uk", "Передоплата за оформлення документів 200 євро", True),
    ("fees.advance", "uk", "Працевлаштування безкоштовне для кандидатів", False),
    ("fees.advance", "pl", "Opłata za pośrednictwo 500 zł przed wyjazdem", True),
    ("fees.advance", "pl", "Pośrednictwo jest bezpłatne dla kandydatów", False),
    ("fees.advance", "ro", "Taxă de recrutare 200 euro, plata in avans", True),
    ("fees.advance", "ro", "Recrutarea este gratuită pentru candidați", False),
    ("fees.advance", "en", "A registration fee of 150 EUR is required before travel", True),
    ("fees.advance", "en", "Recruitment is free for all candidates", False),
    # no contract
    ("contract.absent", "ru", "Работа без договора, оплата наличными каждый день", True),
    ("contract.absent", "ru", "Без договора не работаем, всё официально", False),
    ("contract.absent", "uk", "Працюємо без договору, гроші на руки", True),
    ("contract.absent", "uk", "Ми ніколи не працюємо без договору", False),
    ("contract.absent", "pl", "Praca bez umowy, płatne do ręki", True),
    ("contract.absent", "pl", "Nie zatrudniamy bez umowy, wszystko legalnie", False),
    ("contract.absent", "ro", "Lucru fără contract, plata zilnic", True),
    ("contract.absent", "ro", "Nu angajăm fără contract de muncă", False),
    ("contract.absent", "en", "Cash in hand, no contract needed", True),
    ("contract.absent", "en", "We never hire without a contract", False),
    # housing tied to the job
    ("housing.tied_to_job", "ru", "Проживание в общежитии, стоимость вычитается из зарплаты", True),
    ("housing.tied_to_job", "ru", "Общежитие бесплатно, из зарплаты ничего не вычитается", False),
    ("housing.tied_to_job", "uk", "Житло обов'язково у нашому гуртожитку, оплата з зарплати", True),
    (
        "housing.tied_to_job",
        "uk",
        "Допомагаємо знайти житло, проживання не обов'язково у нас",
        False,
    ),
    ("housing.tied_to_job", "pl", "Zakwaterowanie obowiązkowe, koszt potrącany z wypłaty", True),
    (
        "housing.tied_to_job",
        "pl",
        "Zakwaterowanie nie jest obowiązkowe, można mieszkać samemu",
        False,
    ),
    ("housing.tied_to_job", "ro", "Cazarea se reține din salariu, locuiți doar la noi", True),
    ("housing.tied_to_job", "ro", "Cazare gratuită, nu se reține nimic din salariu", False),
    (
        "housing.tied_to_job",
        "en",
        "Accommodation is compulsory and deducted from your salary",
        True,
    ),
    ("housing.tied_to_job", "en", "Accommodation is optional and nothing is deducted", False),
    # restricted movement
    (
        "control.movement_restricted",
        "ru",
        "Выходить с территории нельзя, телефоны сдаете старшему",
        True,
    ),
    (
        "control.movement_restricted",
        "ru",
        "На экзамене телефоны сдаете на входе в аудиторию",
        False,
    ),
    (
        "control.movement_restricted",
        "uk",
        "Виходити заборонено, телефони здаєте при заселенні",
        True,
    ),
    ("control.movement_restricted", "uk", "На іспиті телефони здаєте викладачу", False),
    (
        "control.movement_restricted",
        "pl",
        "Zakaz wychodzenia z hotelu, telefony oddajesz koordynatorowi",
        True,
    ),
    ("control.movement_restricted", "pl", "Na egzaminie telefony oddajesz przy wejściu", False),
    (
        "control.movement_restricted",
        "ro",
        "Nu aveți voie să ieșiți din casă, telefonul se predă",
        True,
    ),
    ("control.movement_restricted", "ro", "La examen telefonul se predă profesorului", False),
    (
        "control.movement_restricted",
        "en",
        "Phones are collected on arrival and you are not allowed to leave",
        True,
    ),
    ("control.movement_restricted", "en", "Phones are collected before the exam starts", False),
    # minors
    ("target.minors", "ru", "Ищем девушек от 16 лет для работы моделью за границей", True),
    ("target.minors", "ru", "Кружок робототехники для детей от 14 лет", False),
    ("target.minors", "uk", "Шукаємо дівчат 15-19 років, робота в Європі", True),
    ("target.minors", "uk", "Літня підробітка від 16 років за згодою батьків", False),
    ("target.minors", "pl", "Praca dla dziewczyn od 16 lat, wyjazd za granicę", True),
    ("target.minors", "pl", "Kurs programowania dla młodzieży od 14 lat", False),
    ("target.minors", "ro", "Căutăm fete de la 16 ani pentru dans în străinătate", True),
    ("target.minors", "ro", "Tabără de vară pentru copii de la 14 ani", False),
    ("target.minors", "en", "Hiring teen girls for modelling abroad, travel paid", True),
    ("target.minors", "en", "Summer camp for kids from 14 years", False),
    # girls only, appearance
    ("target.appearance", "ru", "Требуются девушки приятной внешности, рост от 165", True),
    ("target.appearance", "ru", "Продаю стройматериалы, рост цен от поставщика", False),
    ("target.appearance", "uk", "Шукаємо струнких дівчат без комплексів", True),
    (
        "target.appearance",
        "uk",
        "Хлопці, хто йде на тренування? Зріст від 180 для баскетболу",
        False,
    ),
    ("target.appearance", "pl", "Szukamy pań o atrakcyjnym wyglądzie, wzrost od 165", True),
    ("target.appearance", "pl", "Szczupła oferta mieszkań w Krakowie, wzrost od 5%", False),
    ("target.appearance", "ro", "Căutăm fete cu aspect fizic plăcut, fără complexe", True),
    ("target.appearance", "ro", "Apartament cu aspect plăcut, renovat recent", False),
    (
        "target.appearance",
        "en",
        "Girls with attractive appearance wanted, send a bikini photo",
        True,
    ),
    ("target.appearance", "en", "Minimum height for the basketball team is 180 cm", False),
    # pay far above market for no skills
    (
        "pay.unrealistic_no_experience",
        "ru",
        "Заработок от 3000 долларов в месяц, опыт не нужен",
        True,
    ),
    ("pay.unrealistic_no_experience", "ru", "Зарплата от 120 000 руб, опыт в Java от 5 лет", False),
    ("pay.unrealistic_no_experience", "uk", "Дохід від 2000 євро, досвід не потрібен", True),
    (
        "pay.unrealistic_no_experience",
        "uk",
        "Зарплата від 40 000 грн, досвід роботи від 3 років",
        False,
    ),
    ("pay.unrealistic_no_experience", "pl", "Wysokie zarobki, bez doświadczenia", True),
    (
        "pay.unrealistic_no_experience",
        "pl",
        "Wynagrodzenie 9000 zł, wymagane doświadczenie 3 lata",
        False,
    ),
    ("pay.unrealistic_no_experience", "ro", "Salariu mare, fără experiență", True),
    ("pay.unrealistic_no_experience", "ro", "Salariu 5000 lei, experiență minimă 2 ani", False),
    ("pay.unrealistic_no_experience", "en", "High salary, no experience needed", True),
    (
        "pay.unrealistic_no_experience",
        "en",
        "Salary 60,000 USD, 5 years of experience required",
        False,
    ),
    # destination-country work without a permit
    (
        "recruit.no_work_permit",
        "ru",
        "Работа в Германии по биометрии, разрешение на работу не нужно",
        True,
    ),
    (
        "recruit.no_work_permit",
        "ru",
        "Для граждан Украины легально, без разрешения на работу по спецзакону",
        False,
    ),
    ("recruit.no_work_permit", "uk", "Робота в Чехії без дозволу на роботу", True),
    ("recruit.no_work_permit", "uk", "Ми не працюємо без дозволу на роботу", False),
    ("recruit.no_work_permit", "pl", "Praca w Niemczech bez pozwolenia na pracę", True),
    (
        "recruit.no_work_permit",
        "pl",
        "Obywatele Ukrainy legalnie bez zezwolenia na pracę (specustawa)",
        False,
    ),
    ("recruit.no_work_permit", "ro", "Muncă în Anglia fără permis de muncă", True),
    ("recruit.no_work_permit", "ro", "Cetățenii UE lucrează legal fără permis de muncă", False),
    ("recruit.no_work_permit", "en", "Jobs in the UK on a tourist visa, no work permit", True),
    ("recruit.no_work_permit", "en", "EU citizens can work legally with no work permit", False),
]


@pytest.mark.parametrize(("flag_id", "lang", "text", "fires"), CASES)
def test_trafficking_flag(flag_id: str, lang: str, text: str, fires: bool) -> None:
    found = {h.flag_id for h in FLAGS.evaluate(text)}
    assert (flag_id in found) is fires, (lang, sorted(found))


def test_every_new_flag_has_a_positive_and_a_negative_in_every_language() -> None:
    seen: dict[str, set[tuple[str, bool]]] = {}
    for flag_id, lang, _text, fires in CASES:
        seen.setdefault(flag_id, set()).add((lang, fires))
    for flag_id, pairs in seen.items():
        assert flag_id in FLAGS.by_id
        for lang in ("uk", "ru", "pl", "ro", "en"):
            assert {(lang, True), (lang, False)} <= pairs, (flag_id, lang)


@pytest.mark.parametrize(
    "text",
    [
        "паспорт оставите нам",
        "долг за дорогу отработаете",
        "Паспорт залишите нам",
        "Борг за дорогу відпрацюєте",
    ],
)
def test_the_strongest_signals_are_flagged_without_a_model(text: str) -> None:
    (score,) = score_texts([text], model=None)
    generic = score_texts(["Требуются девушки хостес в Дубай, высокая зарплата"], model=None)[0]
    assert score.flagged and score.risk >= 0.6 > DEFAULT_FLAGS_ONLY_THRESHOLD
    assert score.risk > generic.risk


class _Confident:
    """A stand-in model: every post scores 0.05 and only risk >= 0.99 would be flagged."""

    threshold = 0.99

    def score_and_explain(self, texts, top_k=3):  # type: ignore[no-untyped-def]
        return [(0.05, ()) for _ in texts]


@pytest.mark.parametrize(
    ("text", "alerted"),
    [
        ("Документи тримає роботодавець до кінця контракту, робота в Чехії", True),
        ("Долг за дорогу отработаете за первый месяц", True),
        ("Требуются девушки от 16 лет, работа в Дубае", True),
        ("Работа в Польше, жильё предоставляется, оплата за трудоустройство заранее", False),
        ("Тримайте документи при собі, роботодавець не має права їх забирати", False),
    ],
)
def test_an_alert_indicator_puts_the_post_in_the_queue_whatever_the_threshold(
    text: str, alerted: bool
) -> None:
    (score,) = score_texts([text], model=_Confident())  # type: ignore[arg-type]
    assert score.risk < 0.99
    assert (score.flagged, score.alerted) == (alerted, alerted)
    assert score.category == ("recruitment" if alerted else None)


def test_the_alert_indicators_are_the_strongest_forced_labour_ones() -> None:
    assert FLAGS.alert_ids == {
        "control.documents_withheld",
        "debt.travel_work_off",
        "control.movement_restricted",
        "target.minors",
    }


def test_labels_exist_in_the_interface_languages() -> None:
    for flag in FLAGS.flags:
        for lang in ("en", "uk", "ru"):
            assert flag.label[lang].strip(), (flag.id, lang)


def test_combined_indicators_rise() -> None:
    one = flag_score(FLAGS.evaluate("Паспорт оставите нам"))
    two = flag_score(FLAGS.evaluate("Паспорт оставите нам, долг за дорогу отработаете"))
    assert two > one
