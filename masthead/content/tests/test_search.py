"""Searching the stories: live stories only, shown by headline and dek, never by body text.

The search index is kept up to date by background jobs (Wagtail queues an index
update on every save), so tests run the queued jobs the way ``masthead worker``
does before they search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from wagtail.models import PageViewRestriction

from masthead.content.models import Access
from masthead.content.tests import factories

BODY_TEXT = re.compile(r"(?:metered|free|subs|older)p\d+w\d+|subheading")


def run_background_jobs() -> None:
    """Run every queued job, as the worker would, and insist that each one succeeded."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    # Worker.run() closes database connections between jobs, which would end
    # the test's transaction; run_task() is the part that runs one job.
    while (job := DBTaskResult.objects.ready().first()) is not None:
        job.claim(worker.worker_id)
        worker.run_task(job)
    assert not DBTaskResult.objects.failed().exists()


@pytest.fixture
def indexed(newsroom):
    run_background_jobs()
    return newsroom


@dataclass
class Result:
    headline: str
    dek: str | None
    href: str


@dataclass
class Page:
    html: str
    soup: BeautifulSoup
    results: list[Result]

    @property
    def results_html(self) -> str:
        listing = self.soup.select_one("ul.river")
        return str(listing) if listing else ""


def search(client, query: str | None = None, **params) -> Page:
    if query is not None:
        params["q"] = query
    response = client.get("/search/?" + urlencode(params))
    assert response.status_code == 200
    html = response.content.decode()
    soup = BeautifulSoup(html, "html.parser")
    results = []
    for card in soup.select("ul.river .card"):
        headline = card.select_one(".card-headline a")
        dek = card.select_one(".card-dek")
        results.append(Result(headline.get_text(), dek.get_text() if dek else None, headline["href"]))
    return Page(html, soup, results)


@pytest.mark.parametrize("query", ["harbour", "Harbour bridge", "HARBOUR", "zephyr", "commuters zephyr"])
def test_it_finds_a_story_by_words_of_its_headline_or_dek(visitor, indexed, query):
    story = factories.article(
        indexed.politics, title="Harbour bridge reopens", dek="Commuters cheer the zephyr crossing."
    )
    run_background_jobs()

    page = search(visitor, query)

    assert [result.headline for result in page.results] == [story.title]


def test_it_shows_each_result_by_its_headline_dek_and_link(visitor, indexed):
    story = factories.article(
        indexed.economy, title="Harbour bridge reopens", dek="Commuters cheer the zephyr crossing."
    )
    run_background_jobs()

    page = search(visitor, "zephyr")

    assert page.results == [Result(story.title, story.dek, story.url)]
    assert "1 story found" in page.soup.select_one(".result-count").get_text()


@pytest.mark.parametrize(
    ("access", "word"),
    [(Access.METERED, "meteredp4w7"), (Access.SUBSCRIBERS, "subsp3w12"), (Access.FREE, "freep5w1")],
)
def test_it_never_shows_body_text_even_when_the_query_matches_it(visitor, indexed, access, word):
    story = indexed.by_access(access)

    page = search(visitor, word)

    assert page.results == [Result(story.title, story.dek, story.url)]
    assert BODY_TEXT.findall(page.results_html) == []
    # The page repeats the query back; apart from that, no word of any body.
    assert BODY_TEXT.findall(page.html.replace(word, "")) == []


def test_it_never_finds_a_draft_an_unpublished_or_a_private_story(visitor, indexed):
    factories.article(indexed.politics, title="Merger talks collapse", live=False)
    withdrawn = factories.article(indexed.politics, title="Merger rumours denied")
    withdrawn.unpublish()
    private = factories.article(indexed.politics, title="Merger memo for staff")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")
    run_background_jobs()

    page = search(visitor, "merger")

    assert page.results == []
    assert "No stories matched" in page.soup.select_one(".result-count").get_text()


def test_it_searches_what_is_published_not_a_newer_draft(visitor, indexed):
    story = factories.article(indexed.politics, title="Port strike ends", dek="Dockers go back to work.")
    story.dek = "Embargoed: the quokka settlement."
    story.save_revision()
    run_background_jobs()

    assert search(visitor, "quokka").results == []
    assert search(visitor, "strike").results == [Result(story.title, "Dockers go back to work.", story.url)]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_it_shows_no_results_for_an_empty_query(visitor, indexed, params):
    page = search(visitor, **params)

    assert page.results == []
    assert page.soup.select_one(".result-count") is None
    assert "Enter a word or phrase" in page.html


@pytest.mark.parametrize("query", ["harbour " + "x" * 600, " ".join(["harbour"] * 150), "zephyr " * 40 + "y" * 300])
def test_it_caps_a_very_long_query_at_200_characters(visitor, indexed, query):
    factories.article(indexed.politics, title="Harbour bridge reopens", dek="The zephyr crossing.")
    run_background_jobs()

    page = search(visitor, query)

    echoed = page.soup.select_one("#search-q")["value"]
    assert echoed == query.strip()[:200]


AWKWARD_QUERIES = [
    '"harbour',
    "harbour OR",
    "AND",
    "harbour AND OR bridge",
    "(harbour",
    "harbour)",
    "harbour*",
    "-harbour",
    "harbour -",
    "NOT harbour",
    "NEAR(harbour bridge)",
    "title:harbour",
    "^harbour",
    "c++",
    "rock & roll",
    "o'clock",
    '"unbalanced (quote* OR -',
    "東京 大阪",
    "\x00harbour",
]


def test_it_answers_any_query_without_an_error(visitor, indexed):
    factories.article(indexed.politics, title="Harbour bridge reopens", dek="The zephyr crossing.")
    run_background_jobs()
    visitor.raise_request_exception = False

    statuses = {query: visitor.get("/search/?" + urlencode({"q": query})).status_code for query in AWKWARD_QUERIES}

    assert {query: status for query, status in statuses.items() if status != 200} == {}


@pytest.mark.parametrize("page_param", ["abc", "0", "-1", "1.5", "99999", "", "2' OR 1=1"])
def test_it_shows_results_whatever_the_page_parameter(visitor, indexed, page_param):
    story = factories.article(indexed.politics, title="Harbour bridge reopens")
    run_background_jobs()

    page = search(visitor, "harbour", page=page_param)

    assert [result.headline for result in page.results] == [story.title]


def test_it_pages_through_many_results_keeping_the_query(visitor, indexed):
    stories = [factories.article(indexed.politics, title=f"Harbour report {n}") for n in range(13)]
    run_background_jobs()

    first = search(visitor, "harbour")
    second = search(visitor, "harbour", page=2)

    assert len(first.results) == 12
    assert len(second.results) == 1
    shown = {result.headline for result in first.results + second.results}
    assert shown == {story.title for story in stories}
    assert first.soup.select_one("a[rel=next]")["href"] == "?q=harbour&page=2"


def test_it_asks_search_engines_not_to_index_results(visitor, indexed):
    response = visitor.get("/search/?q=story")

    assert response["X-Robots-Tag"] == "noindex"
