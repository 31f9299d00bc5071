"""The article model's rules: word counts, reading time, the lead-in, access and dates."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from masthead.content.blocks import count_words, lead_in_count, reading_minutes
from masthead.content.models import Access, ArticlePage
from masthead.content.tests import factories


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("One", 1),
        ("Two words", 2),
        ("It's a well-known fact", 4),
        ("  spaced   out  ", 2),
        ("東京 と 大阪", 3),
    ],
)
def test_it_counts_words(text, words):
    assert count_words(text) == words


@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (100, 1), (460, 2), (800, 3), (2300, 10)])
def test_it_estimates_reading_time_in_whole_minutes(words, minutes):
    assert reading_minutes(words) == minutes


P = "paragraph"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], 0),
        ([(P, "a " * 60)], 1),  # a one-paragraph story is all lead-in
        ([(P, "a " * 30), (P, "b " * 30), (P, "c " * 30)], 2),
        ([(P, "a " * 10), (P, "b " * 10), (P, "c " * 40), (P, "d")], 3),  # keeps going until 50 words
        ([(P, "a " * 30), ("subheading", "Sub"), (P, "b " * 30), (P, "c")], 3),  # the subheading comes along
        ([("image", ""), (P, "a " * 30), (P, "b " * 30), (P, "c")], 3),
    ],
)
def test_it_cuts_the_lead_in_after_whole_paragraphs(items, expected):
    assert lead_in_count(items, paragraphs=2, min_words=50) == expected


block_types = st.sampled_from(["paragraph", "subheading", "image", "pull_quote"])
items_strategy = st.lists(st.tuples(block_types, st.text(alphabet="ab ", max_size=200)), max_size=20)


@given(items=items_strategy, paragraphs=st.integers(1, 5), min_words=st.integers(0, 200))
def test_the_lead_in_is_a_prefix_that_ends_on_a_paragraph(items, paragraphs, min_words):
    n = lead_in_count(items, paragraphs=paragraphs, min_words=min_words)
    assert 0 <= n <= len(items)
    if n < len(items):
        assert items[n - 1][0] == "paragraph"
        taken = [text for kind, text in items[:n] if kind == "paragraph"]
        assert len(taken) >= paragraphs
        assert sum(count_words(t) for t in taken) >= min_words


def test_it_computes_word_count_and_reading_time_on_save(newsroom):
    story = newsroom.by_access(Access.METERED)
    # six paragraphs of 40 words and one two-word subheading ("<marker> subheading")
    assert story.word_count == 6 * 40 + 2
    assert story.reading_time == 1


def test_it_defaults_to_metered(db):
    assert ArticlePage(title="x", dek="y").access == Access.METERED


def test_it_refuses_an_update_time_before_first_publication(newsroom):
    story = newsroom.by_access(Access.FREE)
    story.updated_at = story.first_published_at - dt.timedelta(hours=1)
    with pytest.raises(ValidationError) as error:
        story.full_clean()
    assert "updated_at" in error.value.message_dict


def test_it_only_lives_inside_a_section(newsroom):
    assert ArticlePage.can_create_at(newsroom.politics)
    assert not ArticlePage.can_create_at(newsroom.home)


def test_it_shows_the_dateline_and_local_time_on_the_page(visitor, newsroom, settings):
    settings.PUBLICATION_TIMEZONE = "Asia/Tokyo"
    story = factories.article(
        newsroom.politics, published=dt.datetime(2016, 11, 10, 20, 44, tzinfo=dt.UTC), dateline="SAPPORO"
    )
    html = visitor.get(story.url).content.decode()
    assert "November 11, 2016 5:44 am JST" in html
    assert "SAPPORO" in html
