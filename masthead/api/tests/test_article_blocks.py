"""An article as structured blocks: paragraphs, subheadings, images with sized renditions, quotes."""

import gc
from io import BytesIO

import PIL.Image
import pytest
from django.core.files.images import ImageFile
from wagtail.images.models import Image

from masthead.content.models import Access
from masthead.content.tests import factories

# Wagtail makes each rendition in a SpooledTemporaryFile that it never closes; the garbage
# collector closes it, and warns. Nothing here can close it sooner.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <function SpooledTemporaryFile.__del__:pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture
def picture(db):
    buffer = BytesIO()
    PIL.Image.new("RGB", (1200, 800), "navy").save(buffer, "PNG")
    with ImageFile(buffer, name="harbour.png") as upload:
        image = Image.objects.create(title="Harbour at dawn", file=upload)
    yield image
    gc.collect()  # while the filter above still applies


@pytest.fixture
def feature(newsroom, picture):
    blocks = [
        factories.paragraph("First <b>bold</b> words " + factories.words("featp0w", 40)),
        {"type": "subheading", "value": "What happened"},
        {
            "type": "image",
            "value": {"image": picture.pk, "caption": "The harbour", "credit": "Staff", "alt_text": "Boats"},
        },
        factories.paragraph(factories.words("featp1w", 40)),
        {"type": "pull_quote", "value": {"quote": "We will rebuild.", "attribution": "The mayor"}},
        factories.paragraph(factories.words("featp2w", 40)),
    ]
    return factories.article(
        newsroom.politics, access=Access.FREE, blocks=blocks, lead_image=picture, lead_image_alt="The port"
    )


def test_it_gives_each_block_its_structure(device_api, feature):
    body = device_api.get(f"/articles/{feature.pk}").json()
    assert [block["type"] for block in body["body"]] == [
        "paragraph",
        "subheading",
        "image",
        "paragraph",
        "quote",
        "paragraph",
    ]
    first, subheading, image, _, quote, _ = body["body"]
    assert first["html"].startswith("<p>First <b>bold</b> words") and first["text"].startswith("First bold words")
    assert subheading == {"type": "subheading", "text": "What happened"}
    assert quote == {"type": "quote", "text": "We will rebuild.", "attribution": "The mayor"}
    assert (image["image"]["alt"], image["image"]["caption"], image["image"]["credit"]) == (
        "Boats",
        "The harbour",
        "Staff",
    )


def test_images_come_in_sized_renditions_with_absolute_urls(device_api, feature):
    body = device_api.get(f"/articles/{feature.pk}").json()
    renditions = {r["size"]: r for r in body["body"][2]["image"]["renditions"]}
    assert list(renditions) == ["small", "medium", "large"]
    assert renditions["small"]["width"] == 480 and renditions["medium"]["width"] == 960
    assert renditions["large"]["width"] == 1200  # never upscaled
    assert all(r["url"].startswith("http://127.0.0.1:8000/media/") for r in renditions.values())
    assert body["lead_image"]["alt"] == "The port"


def test_a_free_story_says_why_it_is_open(device_api, feature):
    access = device_api.get(f"/articles/{feature.pk}").json()["access"]
    assert access == {
        "allowed": True,
        "reason": "free_article",
        "counts": None,
        "countdown": False,
        "last_free": False,
        "prompt_kind": None,
        "prompt": None,
    }


def test_listings_never_carry_body_text(api, feature):
    raw = api.get("/articles").content
    assert b"featp0w1" not in raw and b"What happened" not in raw
