"""Split policy markdown into heading-sized chunks.

A chunk is one `##` section (a `###` subsection gets its own chunk with the heading path
"Section > Subsection"). Text under the `#` title before the first `##` becomes an "Overview"
chunk. Sections longer than `max_chars` are split at paragraph boundaries; every piece keeps
its heading, so a piece is still understandable (and retrievable) on its own.

The files are templates: chunks and the corpus hash are taken from the text rendered with the policy
limits (portal.help.policy_text), so the index quotes the configured numbers and a changed limit rebuilds it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from portal.help.policy_text import policy_paths, read_policy
from tools import PolicyLimits

# Bump when chunking changes the chunks for the same files: the index manifest stores it,
# so a new chunker rebuilds old indexes.
CHUNKER_VERSION = "1"
MAX_CHARS = 1200
OVERVIEW = "Overview"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    """A piece of one policy: its file stem, heading path and markdown text."""

    policy: str
    heading: str
    text: str

    def embed_text(self) -> str:
        """The text an embedder sees: policy name and heading give the section's topic."""
        return f"{self.policy}: {self.heading}\n{self.text}"


def policy_files(policies_dir: str | Path) -> list[Path]:
    """The policy markdown files, sorted by name so every process sees the same order."""
    return policy_paths(policies_dir)


def policies_hash(
    policies_dir: str | Path, limits: PolicyLimits | None = None, overrides: Mapping[str, str] | None = None
) -> str:
    """A sha256 over every policy's name and rendered text (plus the chunker version).

    `overrides` (stem → template text) are the admin-edited revisions that replace their files.
    """
    digest = hashlib.sha256(f"chunker:{CHUNKER_VERSION}\n".encode())
    for path in policy_files(policies_dir):
        data = read_policy(path, limits or PolicyLimits(), overrides).encode()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load_policy_chunks(
    policies_dir: str | Path,
    max_chars: int = MAX_CHARS,
    limits: PolicyLimits | None = None,
    overrides: Mapping[str, str] | None = None,
) -> list[Chunk]:
    """Chunk every policy of a directory rendered with `limits` (defaults), in file-name order."""
    chunks: list[Chunk] = []
    for path in policy_files(policies_dir):
        text = read_policy(path, limits or PolicyLimits(), overrides)
        chunks.extend(chunk_markdown(path.stem, text, max_chars))
    return chunks


def chunk_markdown(policy: str, markdown: str, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Split one policy document into chunks by heading."""
    chunks: list[Chunk] = []
    for heading, body in _sections(markdown):
        for piece in _split_long(body, max_chars):
            chunks.append(Chunk(policy=policy, heading=heading, text=piece))
    return chunks


def _sections(markdown: str) -> list[tuple[str, str]]:
    """(heading path, body) pairs; headings inside fenced code blocks are ignored."""
    sections: list[tuple[str, list[str]]] = [(OVERVIEW, [])]
    path: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            sections[-1][1].append(line)
            continue
        level, title = len(match.group(1)), match.group(2)
        if level == 1:
            continue  # the document title; its intro text stays in the Overview chunk
        del path[level - 2 :]
        path.append(title)
        sections.append((" > ".join(path), []))
    return [(heading, "\n".join(lines).strip()) for heading, lines in sections if "\n".join(lines).strip()]


def _split_long(body: str, max_chars: int) -> list[str]:
    """Keep a short body whole; pack a long one into paragraph groups of at most max_chars."""
    if len(body) <= max_chars:
        return [body]
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", body):
        paragraph = paragraph.strip()
        if current and len(current) + len(paragraph) + 2 > max_chars:
            pieces.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        pieces.append(current)
    return pieces
