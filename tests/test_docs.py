"""The generated schema reference: committed pages up to date, complete, linked, and safe to publish."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

import pytest

from cio_schemas.catalog import APIS, ROUTES
from cio_schemas.converters import CONVERTERS, UNSUPPORTED
from cio_schemas.docs import DOCS_COMMAND, HEADER, _md_inline, render_html, render_markdown, write_docs
from cio_schemas.registry import get_schema, schema_names
from cio_schemas.sizes import DEFAULT_LIMITS

COMMITTED = Path(__file__).parent.parent / "docs" / "schemas"
LINK = re.compile(r"\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def markdown() -> dict[str, str]:
    return render_markdown()


@pytest.fixture(scope="module")
def html() -> dict[str, str]:
    return render_html()


def test_committed_docs_are_up_to_date(markdown: dict[str, str]) -> None:
    committed = {p.relative_to(COMMITTED).as_posix(): p.read_text(encoding="utf-8") for p in COMMITTED.rglob("*.md")}
    stale = sorted(k for k in markdown.keys() & committed.keys() if markdown[k] != committed[k])
    missing = sorted(markdown.keys() - committed.keys())
    extra = sorted(committed.keys() - markdown.keys())
    assert not (stale or missing or extra), (
        f"docs/schemas is out of date; run `{DOCS_COMMAND}` and commit the result.\n"
        f"  changed: {stale}\n  missing: {missing}\n  no longer generated: {extra}"
    )


def test_output_is_deterministic(markdown: dict[str, str], html: dict[str, str]) -> None:
    assert render_markdown() == markdown
    assert render_html() == html
    assert list(markdown) == sorted(markdown)


@pytest.mark.parametrize("ext", ["md", "html"])
def test_every_schema_has_a_page_with_the_header(ext: str, markdown: dict[str, str], html: dict[str, str]) -> None:
    pages = markdown if ext == "md" else html
    assert set(pages) == {f"{n}.{ext}" for n in schema_names()} | {f"index.{ext}"}
    for content in pages.values():
        assert content.splitlines()[0] == HEADER


@pytest.mark.parametrize("ext", ["md", "html"])
def test_index_links_every_page(ext: str, markdown: dict[str, str], html: dict[str, str]) -> None:
    index = (markdown if ext == "md" else html)[f"index.{ext}"]
    links = set(LINK.findall(index)) if ext == "md" else set(re.findall(r'href="([^"]+)"', index))
    assert {f"{n}.{ext}" for n in schema_names()} <= links


def test_relative_links_resolve(markdown: dict[str, str]) -> None:
    for path, content in markdown.items():
        for target in LINK.findall(content):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            assert resolved in markdown, f"{path} links to {target}, which is not a page"


def _max_bytes(node: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "maxBytes" and isinstance(value, int):
                found.add(value)
            elif key != "examples":
                found |= _max_bytes(value)
    elif isinstance(node, list):
        for value in node:
            found |= _max_bytes(value)
    return found


@pytest.mark.parametrize("name", schema_names())
def test_byte_limits_and_examples_appear(name: str, markdown: dict[str, str]) -> None:
    page = markdown[f"{name}.md"]
    schema = get_schema(name)
    for limit in _max_bytes(schema):
        assert f"at most {limit:,} bytes" in page
    for example in schema.get("examples", []):
        assert "```json\n" + json.dumps(example, indent=2, ensure_ascii=False) + "\n```" in page


def test_field_table_follows_refs_and_branches(markdown: dict[str, str]) -> None:
    identify = markdown["track_v1/identify.md"]
    assert "| `cio_relationships.relationships[].identifiers.object_id` | string |" in identify
    assert "key names at most 150 bytes (UTF-8)" in identify
    device = markdown["track_v2/person/add_device.md"]
    assert "| `device.attributes.push_enabled` | string | no | one of `true`, `false` |" in device
    pipelines = markdown["pipelines/identify.md"]
    assert "| `userId` | string or null | one of `userId`, `anonymousId` |" in pipelines
    track = markdown["track_v1/track.md"]
    assert "applies when `type` is `screen`" in track
    entity = markdown["track_v2/entity.md"]
    assert (
        "when `type` is `person` and `action` is `identify` | [track_v2/person/identify](person/identify.md)" in entity
    )


def test_route_and_size_limits_appear(markdown: dict[str, str]) -> None:
    kb = DEFAULT_LIMITS.kb
    v2 = markdown["track_v2/person/identify.md"]
    assert "`POST /api/v2/entity` with `type` = `person`, `action` = `identify`" in v2
    assert f"{DEFAULT_LIMITS.single('track-v2'):,} bytes" in v2
    batch = markdown["pipelines/batch.md"]
    assert (
        f"the whole body at most {DEFAULT_LIMITS.batch('pipelines'):,} bytes ({DEFAULT_LIMITS.batch('pipelines') // kb // kb} MB)"
        in batch
    )
    assert "`POST /v1/track` with `event` = `User Deleted`" in markdown["pipelines/semantic/user_deleted.md"]
    assert "with any other `event`" in markdown["pipelines/track_event.md"]


def test_cli_listing_names_the_route_each_page_names_first() -> None:
    """``cio-schemas schemas`` and the pages agree on where each schema is sent."""
    import io

    from cio_schemas.cli import run
    from cio_schemas.docs import _build

    out = io.StringIO()
    assert run(["schemas", "-o", "json"], out, io.StringIO(), io.BytesIO()) == 0
    listed = {row["schema"]: row["route"] for row in json.loads(out.getvalue())}
    for name in schema_names():
        page = _build(name)
        if not page.routes:
            assert listed[name] == "(shared definitions)", name
            continue
        method, path = listed[name].split()[:2]
        assert f"`{method} {path}`" in page.routes[0], (name, listed[name], page.routes[0])


def test_conversions_come_from_the_converters_table(markdown: dict[str, str]) -> None:
    for (kind, _target), fn in CONVERTERS.items():
        line = (fn.__doc__ or "").strip().splitlines()[0].replace("``", "`")
        assert line in markdown[f"{kind}.md"], (kind, fn.__name__)
    own = {r.schema: r.api for r in ROUTES}
    for (kind, target), reason in UNSUPPORTED.items():
        targets = [target] if target != "*" else [t for t in APIS if t != own.get(kind, t)]
        for t in targets:
            if (kind, t) not in CONVERTERS and UNSUPPORTED.get((kind, t), reason) == reason:
                assert reason in markdown[f"{kind}.md"], (kind, t)


def test_html_is_static(html: dict[str, str]) -> None:
    for path, content in html.items():
        assert "<script" not in content.lower(), path
        assert " on" + "click=" not in content.lower(), path
        assert "<style>" in content


def test_markdown_cells_escape_pipes_and_html() -> None:
    assert _md_inline("a | b `c|d` <e>", cell=True) == "a \\| b `c\\|d` &lt;e&gt;"
    assert _md_inline("line\nbreak", cell=True) == "line break"


@pytest.mark.parametrize(("fmt", "ext"), [("markdown", "md"), ("html", "html")])
def test_write_docs(tmp_path: Path, fmt: str, ext: str) -> None:
    stale = tmp_path / "track_v1" / f"gone.{ext}"
    stale.parent.mkdir(parents=True)
    stale.write_text(HEADER + "\nold\n", encoding="utf-8")
    mine = tmp_path / f"notes.{ext}"
    mine.write_text("hand-written\n", encoding="utf-8")
    written = write_docs(tmp_path, fmt)
    assert len(written) == len(schema_names()) + 1
    assert (tmp_path / f"index.{ext}").is_file() and (tmp_path / "track_v1" / f"identify.{ext}").is_file()
    assert not stale.exists() and mine.read_text(encoding="utf-8") == "hand-written\n"
    assert write_docs(tmp_path, fmt) == written  # a second run finds nothing to change


def test_write_docs_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="markdown"):
        write_docs(tmp_path, "pdf")
