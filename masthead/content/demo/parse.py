"""Reads the demo newsroom's source files: newsroom.toml and articles/*.md."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER_KEYS = {"headline", "dek", "section", "authors", "dateline", "access", "topics", "region", "days_ago", "hour"}


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    headline: str
    dek: str
    section: str
    authors: list[str]
    access: str
    days_ago: int
    hour: int
    body: list[dict] = field(default_factory=list)
    dateline: str = ""
    topics: list[str] = field(default_factory=list)
    region: str = ""


def newsroom() -> dict:
    return tomllib.loads((HERE / "newsroom.toml").read_text())


def articles() -> list[DemoArticle]:
    return [parse_article(path) for path in sorted((HERE / "articles").glob("*.md"))]


def parse_article(path: Path) -> DemoArticle:
    text = path.read_text()
    header, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError(f"{path.name}: no '---' line between the header and the body")
    meta = {}
    for line in header.strip().splitlines():
        key, colon, value = line.partition(":")
        if not colon or key.strip() not in HEADER_KEYS:
            raise ValueError(f"{path.name}: unexpected header line {line!r}")
        meta[key.strip()] = value.strip()
    slug = path.stem.split("-", 1)[1]
    return DemoArticle(
        slug=slug,
        headline=meta["headline"],
        dek=meta["dek"],
        section=meta["section"],
        authors=[a.strip() for a in meta["authors"].split(",") if a.strip()],
        access=meta["access"],
        days_ago=int(meta["days_ago"]),
        hour=int(meta["hour"]),
        dateline=meta.get("dateline", ""),
        topics=[t.strip() for t in meta.get("topics", "").split(",") if t.strip()],
        region=meta.get("region", ""),
        body=parse_body(body),
    )


def parse_body(text: str) -> list[dict]:
    """Blank-line separated blocks: '## ' is a subheading, '> ' a pull quote, the rest paragraphs."""
    blocks = []
    for chunk in (c.strip() for c in text.split("\n\n")):
        if not chunk:
            continue
        if chunk.startswith("## "):
            blocks.append({"type": "subheading", "value": chunk[3:].strip()})
        elif chunk.startswith("> "):
            quote, _, attribution = chunk[2:].partition(" — ")
            blocks.append({"type": "pull_quote", "value": {"quote": quote.strip(), "attribution": attribution.strip()}})
        else:
            blocks.append({"type": "paragraph", "value": f"<p>{escape(' '.join(chunk.split()), quote=False)}</p>"})
    return blocks
