"""CampaignIndex: campaigns and networks that grow across imports."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opennrm.monitoring import CampaignIndex, ClusterConfig
from opennrm.monitoring.cluster import cluster_signatures, contact_networks, minhash_signatures
from opennrm.monitoring.normalize import normalize
from opennrm.monitoring.pipeline import PipelineConfig, batched, process_batch, run_pipeline

from .test_pipeline import synthetic_posts

POOL = [
    normalize(t)
    for t in [
        "Нужны девушки на работу в Дубай, зарплата от 3000$ в неделю, жильё и билеты оплачиваем",
        "нужны девушки на работу в дубай!!! зарплата от 5000$ в неделю, жильё и билеты за нами",
        "Работа в Польше на складе, жильё бесплатно, зарплата 1500 евро, звоните +48 601 234 567",
        "Работа в Польше на складе, жильё бесплатно, зарплата 1800 евро. Звоните +48 602 999 111",
        "Робота в Польщі на складі, житло безкоштовне, зарплата 1800 євро, телефонуйте нам",
        "Подскажите, где в Кракове можно получить PESEL для детей и сколько это стоит?",
        "Шукаю квартиру у Вроцлаві на два місяці, бюджет невеликий, без посередників",
        "Does anyone know when the consulate opens on Monday and what papers to bring?",
        "спасибо",
        "",
    ]
]
CONTACTS = [["phone:+48601"], ["tg:@a"], ["phone:+48601", "tg:@a"], [], ["tg:@b"]]


def _signed(choices: list[int]) -> tuple[list[str], np.ndarray, np.ndarray, list[list[str]]]:
    texts = [POOL[c] for c in choices]
    keys = [f"p{i:03d}" for i in range(len(texts))]
    sig, valid = minhash_signatures(texts)
    contacts = [CONTACTS[(c * 7 + i) % len(CONTACTS)] for i, c in enumerate(choices)]
    return keys, sig, valid, contacts


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=30),
    st.lists(st.integers(0, 30), max_size=4),
    st.randoms(),
)
def test_adding_in_batches_equals_clustering_all_at_once(
    choices: list[int], cuts: list[int], rnd: object
) -> None:
    keys, sig, valid, contacts = _signed(choices)
    expected_c = cluster_signatures(keys, sig, valid)
    expected_n = contact_networks(contacts, keys, max_contact_posts=3)
    order = list(range(len(keys)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    bounds = sorted({0, len(order), *(c for c in cuts if c < len(order))})
    index = CampaignIndex(ClusterConfig(max_contact_posts=3))
    for start, stop in itertools.pairwise(bounds):
        part = order[start:stop]
        index.add_signatures(
            [keys[i] for i in part],
            sig[part],
            valid[part],
            contacts=[contacts[i] for i in part],
        )
    sizes = {c: expected_c.count(c) for c in expected_c}
    for i, key in enumerate(keys):
        # cluster_signatures names singletons by their own key; the index says None
        assert index.campaign_of(key) == (expected_c[i] if sizes[expected_c[i]] > 1 else None)
        assert index.network_of(key) == expected_n[i]
    assert len(index) == len(keys)


def _two_campaigns() -> CampaignIndex:
    zeros = np.zeros(64, dtype=np.uint32)
    ones = np.ones(64, dtype=np.uint32)
    index = CampaignIndex()
    index.add_signatures(["a1", "a2", "b1", "b2"], np.stack([zeros, zeros, ones, ones]))
    return index


def test_a_post_joining_two_known_campaigns_renames_one() -> None:
    index = _two_campaigns()
    assert index.campaign_ids() == ["a1", "b1"]
    bridge = np.concatenate([np.zeros(32), np.ones(32)]).astype(np.uint32)  # 0.5 to each
    update = index.add_signatures(["c"], bridge[None, :])
    assert update.assignments[0].campaign_id == "a1"
    assert update.renamed_campaigns == {"b1": "a1"}
    assert update.campaigns == ("a1",) and update.added == 1
    assert index.members("a1") == ["a1", "a2", "b1", "b2", "c"]
    assert index.members("b1") == [] and index.campaign_ids() == ["a1"]


def test_a_smaller_new_key_renames_the_campaign_it_joins() -> None:
    index = _two_campaigns()
    update = index.add_signatures(["0"], np.ones((1, 64), dtype=np.uint32))
    assert update.assignments[0].campaign_id == "0"
    assert update.renamed_campaigns == {"b1": "0"}


def test_known_posts_are_not_added_twice_and_order_within_an_add_is_irrelevant() -> None:
    keys, sig, valid, contacts = _signed([0, 1, 2, 3, 5, 0])
    index = CampaignIndex()
    first = index.add_signatures(keys, sig, valid, contacts=contacts)
    again = index.add_signatures(keys[::-1], sig[::-1], valid[::-1], contacts=contacts[::-1])
    assert again.added == 0 and not again.campaigns and not again.renamed_campaigns
    assert {a.post_id: a for a in again.assignments} == {a.post_id: a for a in first.assignments}
    other = CampaignIndex()
    other.add_signatures(keys[::-1], sig[::-1], valid[::-1], contacts=contacts[::-1])
    assert [other.campaign_of(k) for k in keys] == [index.campaign_of(k) for k in keys]
    assert [other.network_of(k) for k in keys] == [index.network_of(k) for k in keys]


def test_a_contact_seen_too_often_stops_linking_and_the_networks_are_rebuilt() -> None:
    index = CampaignIndex(ClusterConfig(max_contact_posts=2))
    sig = np.arange(3 * 64, dtype=np.uint32).reshape(3, 64)  # unrelated texts
    first = index.add_signatures(["a", "b"], sig[:2], contacts=[["phone:1"], ["phone:1"]])
    assert [a.network_id for a in first.assignments] == ["a", "a"]
    assert index.shared_contacts("a") == ["phone:1"]
    update = index.add_signatures(["c"], sig[2:], contacts=[["phone:1"]])
    assert [index.network_of(k) for k in "abc"] == [None, None, None]
    assert update.assignments[0].network_id is None
    assert index.posts_with_contact("phone:1") == ["a", "b", "c"]


def test_state_survives_serialisation_and_keeps_growing_the_same_way() -> None:
    keys, sig, valid, contacts = _signed([0, 2, 5, 1, 3, 4, 6, 7, 8, 9, 2, 0])
    kept = CampaignIndex()
    kept.add_signatures(keys[:6], sig[:6], valid[:6], snippets=[""] * 6, contacts=contacts[:6])
    blob = kept.to_bytes()
    loaded = CampaignIndex.from_bytes(blob)
    assert [loaded.campaign_of(k) for k in keys[:6]] == [kept.campaign_of(k) for k in keys[:6]]
    a = kept.add_signatures(keys[6:], sig[6:], valid[6:], contacts=contacts[6:])
    b = loaded.add_signatures(keys[6:], sig[6:], valid[6:], contacts=contacts[6:])
    assert a == b
    assert loaded.config == kept.config
    with pytest.raises(ValueError, match="signatures"):
        loaded.add_signatures(["x"], sig[:2])


def test_serialised_state_is_not_a_pickle() -> None:
    import zipfile

    blob = CampaignIndex().to_bytes()
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    assert sorted(names) == sorted(
        f"{n}.npy" for n in ("meta", "keys", "snippets", "contacts", "signatures", "valid")
    )
    with pytest.raises(ValueError, match="format"):
        bad = io.BytesIO()
        np.savez(
            bad,
            meta=np.array('{"version": 99}'),
            keys=np.array("[]"),
            snippets=np.array("[]"),
            contacts=np.array("[]"),
            signatures=np.zeros((0, 64), np.uint32),
            valid=np.zeros(0, bool),
        )
        CampaignIndex.from_bytes(bad.getvalue())


def test_imports_on_different_days_link_to_what_is_known() -> None:
    posts = synthetic_posts(n_campaigns=4, copies=6, noise=10, seed=3)
    config = PipelineConfig(batch_size=7)
    monday, tuesday = posts[:20], posts[20:]
    index = CampaignIndex(config.cluster)
    run_pipeline(monday, config=config, index=index)
    result = run_pipeline(tuesday, config=config, index=index)
    assert result.update is not None and result.update.added == len(tuesday)
    # the same as one import of everything
    whole = run_pipeline(posts, config=config)
    cluster_of = dict(zip((p.post_id for p in whole.posts), whole.cluster_ids, strict=True))
    network_of = dict(zip((p.post_id for p in whole.posts), whole.network_ids, strict=True))
    sizes = {c: whole.cluster_ids.count(c) for c in whole.cluster_ids}
    for a in result.update.assignments:
        cid = cluster_of[a.post_id]
        assert a.campaign_id == (cid if sizes[cid] > 1 else None)
        assert a.network_id == network_of[a.post_id]
    # a Tuesday post joined a campaign that Monday's posts started
    monday_ids = {p.id for p in monday}
    assert any(
        set(index.members(a.campaign_id)) & monday_ids
        for a in result.update.assignments
        if a.campaign_id
    )
    # the template is shown for a grown campaign: contacts and numbers masked
    template = index.template(result.update.campaigns[0])
    assert "{…}" in template or "{PHONE}" in template or "{HANDLE}" in template


def test_add_takes_batch_results() -> None:
    posts = synthetic_posts(n_campaigns=3, copies=4, noise=5, seed=4)
    config = PipelineConfig()
    batches = [process_batch(b, model=None, config=config) for b in batched(posts, 5)]
    one = CampaignIndex()
    update = one.add(batches)
    other = CampaignIndex()
    for b in batches:
        other.add(b)
    assert [a.post_id for a in update.assignments] == [p.id for p in posts]
    assert [one.campaign_of(p.id) for p in posts] == [other.campaign_of(p.id) for p in posts]
    assert one.add([]).added == 0


def test_a_giant_bucket_keeps_anchors_and_still_links_everyone() -> None:
    rng = np.random.default_rng(0)
    sig = np.zeros((300, 64), dtype=np.uint32)
    sig[np.arange(300), rng.integers(0, 64, 300)] = np.arange(1, 301)  # all distinct
    keys = [f"k{i:03d}" for i in range(300)]
    index = CampaignIndex()
    for lo in range(0, 300, 70):
        index.add_signatures(keys[lo : lo + 70], sig[lo : lo + 70])
    assert index.campaign_ids() == ["k000"]
    largest = max(np.unique(keys, return_counts=True)[1].max() for keys in index._bucket_keys)
    assert largest == 64  # anchors per bucket, whatever the number of adds


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=25),
    st.lists(st.integers(0, 25), max_size=4),
)
def test_deltas_read_back_as_the_index_that_wrote_them(choices: list[int], cuts: list[int]) -> None:
    keys, sig, valid, contacts = _signed(choices)
    snippets = [POOL[c] for c in choices]
    bounds = sorted({0, len(keys), *(c for c in cuts if c < len(keys))})
    index = CampaignIndex(ClusterConfig(max_contact_posts=3))
    chunks = []
    for lo, hi in itertools.pairwise(bounds):
        before = len(index)
        index.add_signatures(
            keys[lo:hi],
            sig[lo:hi],
            valid[lo:hi],
            snippets=snippets[lo:hi],
            contacts=contacts[lo:hi],
        )
        chunks.append(index.to_bytes(before))  # only what this add brought
    loaded = CampaignIndex.from_chunks(chunks)
    whole = CampaignIndex.from_bytes(index.to_bytes())
    for other in (loaded, whole):
        assert [other.campaign_of(k) for k in keys] == [index.campaign_of(k) for k in keys]
        assert [other.network_of(k) for k in keys] == [index.network_of(k) for k in keys]
        assert [other.template(c) for c in other.campaign_ids()] == [
            index.template(c) for c in index.campaign_ids()
        ]
    if len(chunks) > 1:
        with pytest.raises(ValueError, match="order"):
            CampaignIndex.from_chunks(chunks[1:])


def test_a_post_alone_until_a_later_add_is_reported_as_joined() -> None:
    keys, sig, valid, _contacts = _signed([0, 1, 5])
    index = CampaignIndex()
    first = index.add_signatures(keys[:1], sig[:1], valid[:1])
    assert first.joined_campaigns == () and index.campaign_of(keys[0]) is None
    second = index.add_signatures(keys[1:], sig[1:], valid[1:])
    assert second.joined_campaigns == (keys[0],)  # known before, alone until now
    assert index.campaign_of(keys[0]) == index.campaign_of(keys[1]) is not None
    third = index.add_signatures(["z"], sig[:1], valid[:1])
    assert third.joined_campaigns == ()  # the campaign grew; nobody was alone


def test_an_index_written_with_string_arrays_still_reads() -> None:
    """Stored indexes of the first form (JSON in numpy string arrays) load as before."""

    rng = np.random.default_rng(0)
    sig = rng.integers(0, 2**32, size=(5, 64), dtype=np.uint32)
    sig[1] = sig[0]
    index = CampaignIndex()
    index.add_signatures(
        [f"k{i}" for i in range(5)], sig, snippets=["привіт світ"] * 5, contacts=[("x",)] * 5
    )
    with np.load(io.BytesIO(index.to_bytes()), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    assert arrays["snippets"].dtype == np.uint8  # UTF-8 bytes now
    for name in ("keys", "snippets", "contacts"):
        arrays[name] = np.array(arrays[name].tobytes().decode("utf-8"))
    old = io.BytesIO()
    np.savez_compressed(old, **arrays)
    again = CampaignIndex.from_bytes(old.getvalue())
    assert again.campaign_ids() == index.campaign_ids() == ["k0"]
    assert again.template("k0") == index.template("k0") == "привіт світ"


def test_an_index_without_texts_builds_templates_from_the_callers_texts() -> None:
    keys, sig, valid, contacts = _signed([0, 1, 2, 3, 5])
    texts = dict(zip(keys, (POOL[c] for c in [0, 1, 2, 3, 5]), strict=True))
    full = CampaignIndex()
    full.add_signatures(keys, sig, valid, snippets=list(texts.values()), contacts=contacts)
    lean = CampaignIndex(template_chars=0)
    lean.add_signatures(keys, sig, valid, snippets=list(texts.values()), contacts=contacts)
    assert lean.campaign_ids() == full.campaign_ids() and lean.campaign_ids()
    for cid in full.campaign_ids():
        members = lean.template_members(cid)
        assert members == full.members(cid)
        assert lean.template(cid, {k: texts[k] for k in members}) == full.template(cid)
        assert "зарплата" in full.template(cid)
        with pytest.raises(ValueError, match="texts"):
            lean.template(cid)
    # nothing of the texts is kept or stored
    assert lean._snippets == []
    with np.load(io.BytesIO(lean.to_bytes()), allow_pickle=False) as npz:
        assert npz["snippets"].tobytes() == b"[]"
    with np.load(io.BytesIO(full.to_bytes()), allow_pickle=False) as npz:
        assert "зарплата" in npz["snippets"].tobytes().decode()


def test_chunks_with_and_without_texts_read_together_and_texts_can_be_dropped() -> None:
    keys, sig, valid, contacts = _signed([0, 1, 2, 3, 5, 6])
    texts = [POOL[c] for c in [0, 1, 2, 3, 5, 6]]
    old = CampaignIndex()
    old.add_signatures(keys[:3], sig[:3], valid[:3], snippets=texts[:3], contacts=contacts[:3])
    first = old.to_bytes()  # written when the store kept texts
    lean = CampaignIndex.from_bytes(first, template_chars=0)
    assert lean._snippets == [] and len(lean) == 3
    lean.add_signatures(keys[3:], sig[3:], valid[3:], contacts=contacts[3:])
    second = lean.to_bytes(3)
    both = CampaignIndex.from_chunks([first, second], template_chars=0)
    assert both.campaign_ids() == lean.campaign_ids()
    assert [both.campaign_of(k) for k in keys] == [lean.campaign_of(k) for k in keys]
    # read keeping texts: the old chunk's come back, the lean chunk's are empty
    kept = CampaignIndex.from_chunks([first, second])
    assert kept._snippets == [*texts[:3], "", "", ""]


def test_updates_name_the_known_posts_whose_network_changed() -> None:
    index = CampaignIndex(ClusterConfig(max_contact_posts=3))
    sig, valid = minhash_signatures([POOL[5], POOL[6], POOL[7]])
    index.add_signatures(["a", "b", "c"], sig, valid, contacts=[["x", "y"], ["x", "y"], ["z"]])
    sig, valid = minhash_signatures([POOL[0]])
    # a new post with z joins the known post c, alone so far
    update = index.add_signatures(["d"], sig, valid, contacts=[["z"]])
    assert update.joined_networks == ("c",) and not update.networks_rebuilt
    assert index.network_of("c") == index.network_of("d") == "c"
    # x on 4 posts: it links none; a and b stay linked by y; c and d by z
    sig, valid = minhash_signatures([POOL[1], POOL[2]])
    update = index.add_signatures(["e", "f"], sig, valid, contacts=[["x"], ["x"]])
    assert update.networks_rebuilt and update.moved_networks == {}
    assert index.shared_contacts("a") == ["y"]
    # y on 4 posts as well: a and b are alone now
    sig, valid = minhash_signatures([POOL[3], POOL[4]])
    update = index.add_signatures(["g", "h"], sig, valid, contacts=[["y"], ["y"]])
    assert update.networks_rebuilt and update.moved_networks == {"a": None, "b": None}
    assert index.network_of("a") is None and index.network_ids() == ["c"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=30),
    st.lists(st.integers(0, 30), max_size=3),
    st.randoms(),
)
def test_renamed_chunks_read_as_the_same_groups_under_the_new_ids(
    choices: list[int], cuts: list[int], rnd: object
) -> None:
    """``rename_chunk`` (how a store re-keys its post ids): the index read back from the
    renamed chunks links the same posts; each group's id is its smallest *new* id, and
    the groups equal clustering everything at once under the new ids."""
    from opennrm.monitoring.index import rename_chunk

    keys, sig, valid, contacts = _signed(choices)
    shuffled = list(keys)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    new_of = {k: f"n{v}" for k, v in zip(keys, shuffled, strict=True)}  # in another order
    index = CampaignIndex(ClusterConfig(max_contact_posts=3))
    chunks = []
    bounds = sorted({0, len(keys), *(c for c in cuts if c < len(keys))})
    for lo, hi in itertools.pairwise(bounds):
        before = len(index)
        index.add_signatures(keys[lo:hi], sig[lo:hi], valid[lo:hi], contacts=contacts[lo:hi])
        chunks.append(index.to_bytes(before))
    renamed = [rename_chunk(c, lambda ids: [new_of[i] for i in ids]) for c in chunks]
    again = CampaignIndex.from_chunks(renamed)
    new_keys = [new_of[k] for k in keys]
    assert sorted(again._keys) == sorted(new_keys)
    expected_c = cluster_signatures(new_keys, sig, valid)
    expected_n = contact_networks(contacts, new_keys, max_contact_posts=3)
    for i, (k, old) in enumerate(zip(new_keys, keys, strict=True)):
        assert (again.campaign_of(k) or k) == expected_c[i]  # singletons: their own key
        assert again.network_of(k) == expected_n[i]
        same = {new_of[m] for m in index.members(index.campaign_of(old) or "")}
        assert set(again.members(again.campaign_of(k) or "")) == same
    with pytest.raises(ValueError, match="one id per id"):
        rename_chunk(chunks[0], lambda ids: ids[1:] if ids else ["x"])
