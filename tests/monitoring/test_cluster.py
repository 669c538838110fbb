"""Near-duplicate campaigns, templates and contact networks."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring.cluster import (
    SLOT,
    ClusterConfig,
    build_template,
    cluster_signatures,
    contact_networks,
    lsh_params,
    minhash_signatures,
    near_duplicate_clusters,
)
from opennrm.monitoring.normalize import normalize

CAMPAIGN = [
    "Работа в Польше, жильё бесплатно, зарплата 1500 евро. Звоните +48 601 234 567",
    "Работа в Польше, жильё бесплатно, зарплата 1800 евро. Звоните +48 602 999 111",
    "Работа в Польше, жильё бесплатно, зарплата 2000 евро! Звоните +48 603 555 000",
]
OTHER = [
    "Подскажите, где в Кракове можно получить PESEL для детей?",
    "Шукаю квартиру у Вроцлаві на два місяці, бюджет невеликий",
    "Does anyone know when the consulate opens on Monday?",
]
TEXTS = [normalize(t) for t in CAMPAIGN + OTHER]
KEYS = [f"k{i}" for i in range(len(TEXTS))]


def test_campaign_is_one_cluster_and_others_are_singletons() -> None:
    labels = near_duplicate_clusters(TEXTS, KEYS)
    assert labels[:3] == ["k0", "k0", "k0"]
    assert labels[3:] == ["k3", "k4", "k5"]


def test_non_ascii_text_is_kept() -> None:
    # InfoShield strips these texts to nothing; here they must still be distinguishable.
    a = normalize("Требуются девушки для работы за границей, жильё и билеты за наш счёт")
    b = normalize("Продаю детскую коляску, почти новая, самовывоз из центра города")
    sig, valid = minhash_signatures([a, b])
    assert valid.all()
    assert (sig[0] == sig[1]).mean() < 0.2


def test_signatures_are_deterministic_and_seeded() -> None:
    s1, _ = minhash_signatures(TEXTS)
    s2, _ = minhash_signatures(list(reversed(TEXTS)))
    np.testing.assert_array_equal(s1, s2[::-1])
    s3, _ = minhash_signatures(TEXTS, ClusterConfig(seed=2))
    assert not np.array_equal(s1, s3)
    assert s1.dtype == np.uint32 and s1.shape == (6, ClusterConfig().num_perm)


def test_chunking_does_not_change_signatures() -> None:
    s1, _ = minhash_signatures(TEXTS)
    s2, _ = minhash_signatures(TEXTS, ClusterConfig(windows_per_chunk=10))
    np.testing.assert_array_equal(s1, s2)


def test_estimated_jaccard_tracks_true_jaccard() -> None:
    config = ClusterConfig(num_perm=128, mode="chars")
    a, b = TEXTS[0], TEXTS[1]
    sig, _ = minhash_signatures([a, b], config)

    def shingles(t: str) -> set[str]:
        t = "".join("0" if c.isdigit() else c for c in t)
        return {t[i : i + 5] for i in range(len(t) - 4)}

    true = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    assert abs((sig[0] == sig[1]).mean() - true) < 0.15


def test_empty_and_short_texts() -> None:
    labels = near_duplicate_clusters(["", "", "ok", "ok"], ["a", "b", "c", "d"])
    assert labels == ["a", "b", "c", "d"]  # empty and short texts never join a campaign
    chars = ClusterConfig(mode="chars", min_tokens=0, threshold=0.6)
    labels = near_duplicate_clusters(["", "", "ok", "ok"], ["a", "b", "c", "d"], chars)
    assert labels[:2] == ["a", "b"]  # empty texts are never clustered
    assert labels[2:] == ["c", "c"]  # the earlier mode: any text may


def test_ordinary_short_replies_do_not_form_campaigns() -> None:
    chat = ["спасибо", "спасибо!", "Спасибо.", "хахахаха", "хахахахаха", "да", "да", "24", "207"]
    texts = [normalize(t) for t in chat]
    keys = [f"c{i}" for i in range(len(chat))]
    assert near_duplicate_clusters(texts, keys) == keys


def test_masked_words_drop_contacts_numbers_and_decoration() -> None:
    from opennrm.monitoring.cluster import masked_words, shingle_text

    text = normalize(
        "🔥Работа!!! 5 000 р/день, пиши @vasya_work или +7 999 123-45-67 🔥 wa.me/79991234567"
    )
    assert masked_words(text) == [
        "работа", "0", "р", "день", "пиши", "{HANDLE}", "или", "{PHONE}", "{URL}"
    ]  # fmt: skip
    # Greek and small-capital look-alikes that normalisation leaves are folded
    assert masked_words("сσтрудникσв ᴋарман") == ["сотрудников", "карман"]
    assert shingle_text("one two three") == ""  # below min_tokens
    assert shingle_text("a b 1 2 3 4 5", ClusterConfig(mode="chars")) == "a b 0 0 0 0 0"
    import pytest

    with pytest.raises(ValueError, match="mode"):
        shingle_text("x", ClusterConfig(mode="words"))


def test_the_same_ad_with_other_contacts_and_prices_is_one_campaign() -> None:
    ads = [
        "Нужны девушки на работу в Дубай, зарплата от 3000$ в неделю, жильё и билеты "
        "оплачиваем. Пишите @anna_job",
        "нужны девушки на работу в дубай!!! зарплата от 5000$ в неделю 🔥 жильё и билеты "
        "оплачиваем, звоните +971 50 123 4567",
        "Нужны девушки на работу в Дубай. Зарплата от 2500 $ в неделю. Жильё и билеты "
        "оплачиваем. Подробности: https://t.me/+AbCdEf",
        "Продам диван, почти новый, самовывоз из центра, цена 3000, пишите @anna_job",
    ]
    texts = [normalize(t) for t in ads]
    keys = ["a", "b", "c", "d"]
    assert near_duplicate_clusters(texts, keys) == ["a", "a", "a", "d"]
    # the earlier setting (characters with punctuation and contacts, 0.6) missed them
    old = ClusterConfig(mode="chars", min_tokens=0, threshold=0.6)
    assert near_duplicate_clusters(texts, keys, old) != ["a", "a", "a", "d"]


def test_lsh_parameters_come_from_datasketch() -> None:
    bands, rows = lsh_params(0.6, 64)
    assert bands * rows <= 64


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(TEXTS))))
def test_clustering_is_order_independent(order: list[int]) -> None:
    base = near_duplicate_clusters(TEXTS, KEYS)
    shuffled = near_duplicate_clusters([TEXTS[i] for i in order], [KEYS[i] for i in order])
    assert shuffled == [base[i] for i in order]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=12), st.randoms())
def test_order_independence_on_arbitrary_text(texts: list[str], rnd: object) -> None:
    keys = [f"{i:03d}" for i in range(len(texts))]
    base = near_duplicate_clusters(texts, keys)
    order = list(range(len(texts)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    shuffled = near_duplicate_clusters([texts[i] for i in order], [keys[i] for i in order])
    assert shuffled == [base[i] for i in order]
    # every cluster id is one of its members' keys, the smallest one
    for key, label in zip(keys, base, strict=True):
        assert label <= key
        assert base[keys.index(label)] == label


def test_big_buckets_are_handled() -> None:
    texts = ["одно и то же сообщение о работе за границей"] * 300 + [
        "другое совсем сообщение тут про продажу дивана"
    ]
    keys = [f"{i:04d}" for i in range(len(texts))]
    labels = cluster_signatures(keys, *minhash_signatures(texts))
    assert set(labels[:300]) == {"0000"} and labels[300] == "0300"


def test_template_keeps_common_words_and_masks_contacts() -> None:
    template = build_template(TEXTS[:3])
    # the salary varies (a slot); "евро." is in 2 of 3 posts (>= 60 %), so it stays
    assert template == f"работа в польше, жильё бесплатно, зарплата {SLOT} евро. звоните {{PHONE}}"
    strict = build_template(TEXTS[:3], support=0.9)  # adjacent slots merge into one
    assert strict == f"работа в польше, жильё бесплатно, зарплата {SLOT} звоните {{PHONE}}"
    assert build_template([]) == ""


def test_contact_networks() -> None:
    contacts = [["phone:+48601"], ["phone:+48601", "tg:@a"], ["tg:@a"], ["tg:@b"], []]
    keys = ["p4", "p3", "p2", "p1", "p0"]
    assert contact_networks(contacts, keys) == ["p2", "p2", "p2", None, None]
    # a contact shared by too many posts does not link them
    assert contact_networks(contacts, keys, max_contact_posts=1) == [None] * 5


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from([*TEXTS, "", "ok", "работа"]), min_size=1, max_size=15))
def test_datasketch_backend_gives_the_same_clusters(texts: list[str]) -> None:
    keys = [f"{i:03d}" for i in range(len(texts))]
    sig, valid = minhash_signatures(texts)
    ours = cluster_signatures(keys, sig, valid)
    theirs = cluster_signatures(keys, sig, valid, ClusterConfig(lsh_backend="datasketch"))
    assert ours == theirs


def test_unknown_backend_is_rejected() -> None:
    import pytest

    with pytest.raises(ValueError, match="lsh_backend"):
        near_duplicate_clusters(TEXTS, KEYS, ClusterConfig(lsh_backend="faiss"))


_CONTACT_PIECES = st.sampled_from(
    ["a", "word", " ", ".", "@", "ab", "x.com", ".ru", "+3", "80", "97", "-", "(", ")",
     "https://", "www.", "t.me/", "mail", "_", "1", "2345", "ё", "com", "io"]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(_CONTACT_PIECES, max_size=30).map("".join))
def test_mask_with_pruned_alternatives_equals_the_full_pattern(text: str) -> None:
    from opennrm.monitoring.cluster import _CONTACT_RE, _mask

    assert _mask(text) == _CONTACT_RE.sub(lambda m: f" {{{m.lastgroup}}} ", text)
