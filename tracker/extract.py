"""Proposing candidate commitments from a statement's text: text in, candidates out.

Pure: no Typer, no Rich, no files. The CLI reads the bytes and prints; this module decodes them, cuts the text into
paragraphs and sentences, and proposes the sentences that state an intent to act (the G7 Research Group's
definition: a discrete, specific statement of intent by an identifiable actor to act in future), with the reason
for every sentence that had a cue word and was left out.

Rules, not a model: every decision is a regular expression or a word list below, so an analyst can read why.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from tracker.errors import InvalidInputError
from tracker.model import AMOUNT_MAX, Amount, Pillar

MAX_BYTES = 10 * 1024 * 1024
TITLE_LIMIT = 80
KINDS = ("pledge", "agreement", "aspiration", "request", "continuation")


@dataclass(frozen=True)
class Paragraph:
    """A run of text that belongs to one paragraph number (None when the statement numbers none)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class Candidate:
    """A sentence proposed as a commitment, with what the rules found in it."""

    paragraph: int | None
    quote: str
    title: str
    actors: list[str]
    kind: str
    pillar: str
    due: str | None
    amount: Amount | None
    cue: str
    confidence: float

    def as_json(self) -> dict[str, Any]:
        """The candidate as the JSON object that `tracker extract --format json` prints."""
        return asdict(self)


@dataclass(frozen=True)
class Rejection:
    """A sentence with a cue word that was not proposed, and why."""

    paragraph: int | None
    quote: str
    cue: str
    reason: str


@dataclass
class Extraction:
    """The candidates, most confident first, and the sentences left out."""

    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    needs_date: int = 0  # candidates whose due is relative ("next year") and no statement date was given


# ----------------------------------------------------------------------------------------------------------------
# Decoding


def decode_statement(data: bytes, name: str) -> str:
    """The UTF-8 text of a statement file, or an InvalidInputError naming what it is instead (binary, an encoding)."""
    if len(data) > MAX_BYTES:
        raise InvalidInputError(f"{name} has more than {MAX_BYTES:,} bytes (10 MB), the most a statement may have")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInputError(f"{name} is UTF-16 text, not UTF-8; convert it, e.g. iconv -f UTF-16 -t UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if b"\x00" in data[:8192]:
            raise InvalidInputError(f"{name} is a binary file, not UTF-8 text") from None
        guess = _guess_encoding(data)
        where = f"byte {error.start}"
        if guess:
            raise InvalidInputError(
                f"{name} is not UTF-8 text ({where}); it looks like {guess}: convert it, e.g. iconv -f {guess} -t UTF-8"
            ) from None
        raise InvalidInputError(f"{name} is not UTF-8 text ({where}); a statement must be UTF-8") from None
    if "\x00" in text or _binary_looking(text):
        raise InvalidInputError(f"{name} is a binary file, not UTF-8 text")
    return text.removeprefix("\ufeff")


def read_statement(data: bytes, name: str, html: bool = False) -> str:
    """A statement's text from its bytes: UTF-8 decoded (see `decode_statement`), HTML turned into text when `html`
    or when it starts as an HTML page does; an InvalidInputError if there is no text at all."""
    text = decode_statement(data, name)
    if not text.strip():
        raise InvalidInputError(f"{name} is empty; give the text of a statement")
    if html or re.match(r"\s*<(?:!doctype html|html)\b", text, re.IGNORECASE):
        text = html_to_text(text)
    return text


def _binary_looking(text: str) -> bool:
    # Valid UTF-8 can still be a binary file: many control characters other than tab, newline and form feed.
    sample = text[:8192]
    controls = sum(1 for char in sample if ord(char) < 32 and char not in "\t\n\r\f")
    return controls > max(8, len(sample) // 100)


def _guess_encoding(data: bytes) -> str | None:
    """The encoding the bytes most likely are in (charset-normalizer's best guess), or None."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536]).best()
    if best is None:
        return None
    return str(best.encoding).replace("_", "-").upper()


# ----------------------------------------------------------------------------------------------------------------
# HTML

_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "svg", "template")
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar"}
_BLOCK_TAGS = (
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "dt",
    "dd",
    "section",
    "article",
    "pre",
    "table",
    "ul",
    "ol",
)


def html_to_text(html: str) -> str:
    """The readable text of an HTML page: one paragraph per block element, menus, scripts and footers left out."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(_CHROME_TAGS):
        element.decompose()
    for element in soup.find_all(True, attrs={"role": True}):
        if str(element.get("role", "")).lower() in _CHROME_ROLES:
            element.decompose()
    for element in soup.find_all("br"):
        element.replace_with("\n")
    for element in soup.find_all(_BLOCK_TAGS):
        # A list item keeps a mark, so that it reads as the sub-point it is.
        element.insert_before("\n\n- " if element.name == "li" and element.find_parent("ol") is None else "\n\n")
        element.insert_after("\n\n")
    body = soup.body or soup
    text = body.get_text()
    return re.sub(r"\n[ \t]*(?:\n[ \t]*)+", "\n\n", text).strip()


# ----------------------------------------------------------------------------------------------------------------
# Paragraphs and sentences

# Spaces that web pages and word processors put where a plain space belongs.
_SPACES = dict.fromkeys(
    map(ord, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"), " "
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200e\u200f\u2060\ufeff\u00ad"), None)
_NUMBERED = re.compile(r"^\s*\(?(\d{1,3})[.)]\s+(?=\S)")
# Sub-point and note marks: degree sign, Latin o, Cyrillic о, hyphen and dashes, bullets, reference mark, asterisk.
_MARKED = re.compile(r"^\s*(?:[°º•◦▪▫●○■□‣⁃∙·※*\-–—]|[oо](?=\s))\s*(?=\S)")
_TERMINAL = re.compile(r"[.!?。][\"'”’)\]]*$")


def normalise(text: str) -> str:
    """Line breaks as \\n, every kind of space as a plain space, invisible characters gone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return text.translate(_SPACES).translate(_INVISIBLE)


def paragraphs(text: str) -> list[Paragraph]:
    """The statement's text units in order, each with the number of the numbered paragraph it falls under.

    A line that starts `N.` (the next number in sequence) opens paragraph N; a line marked `°`, `o`, `-`, `•`, `※`
    or `*` opens a sub-point of the paragraph above; lines broken in mid-sentence are joined again."""
    units: list[Paragraph] = []
    number: int | None = None
    lines: list[str] = []

    def close() -> None:
        if lines:
            units.append(Paragraph(number, " ".join(lines)))
            lines.clear()

    for raw in normalise(text).split("\n"):
        line = " ".join(raw.split())
        if not line:
            close()
            continue
        numbered = _NUMBERED.match(line)
        if numbered and _next_number(number, int(numbered[1])):
            close()
            number = int(numbered[1])
            lines.append(line[numbered.end() :])
            continue
        marked = _MARKED.match(line)
        if marked:
            close()
            lines.append(line[marked.end() :])
            continue
        if lines and not _continues(lines[-1], line):
            close()
        lines.append(line)
    close()
    return units


def _next_number(current: int | None, found: int) -> bool:
    # A statement numbers its paragraphs 1, 2, 3...; a stray "2020." or "5." in broken text is not a new paragraph.
    return found == 1 if current is None else found == current + 1


def _continues(previous: str, line: str) -> bool:
    """Whether `line` continues the sentence of `previous` (a hard line break), rather than starting a new unit."""
    if _TERMINAL.search(previous):
        return bool(re.match(r"[a-z]", line))  # "U.S.\ndollars": a lower-case start still continues
    # No full stop: a wrapped line, unless both are short lines of a menu or a headline.
    return len(previous) >= 40 or bool(re.match(r"[a-z0-9(,;“\"‘']", line))


_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "no",
    "nos",
    "art",
    "arts",
    "para",
    "paras",
    "e.g",
    "i.e",
    "cf",
    "vs",
    "gen",
    "sen",
    "rep",
    "prof",
    "amb",
    "h.e",
    "co",
    "inc",
    "ltd",
    "jr",
    "sr",
    "vol",
    "pp",
    "approx",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "u.s",
    "u.n",
    "u.k",
    "e.u",
    "r.o.k",
    "d.p.r.k",
}
# A full stop, question or exclamation mark, with any closing quotes, then space and a capital, digit or quote.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"“‘'(]?[A-Z0-9])")
# Words glued where a line break was lost: "meeting.The" or "regionThe ministers".
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z]{3})(?=(?:The|They|She|He|We|It|Both|In|At)\s)")


def sentences(text: str) -> list[str]:
    """The sentences of one text unit, verbatim, whitespace collapsed; abbreviations such as U.S. do not end one."""
    text = " ".join(text.split())
    cuts = [0]
    for match in _BOUNDARY.finditer(text):
        word = text[: match.start() + 1].rsplit(" ", 1)[-1].lower().strip("(\"“‘'").removesuffix(".")
        if match.group().startswith(".") and (word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", word)):
            continue
        cuts.append(match.end())
    cuts += [match.start() for match in _GLUED.finditer(text)]
    cuts = [*sorted(set(cuts)), len(text)]
    pieces = (text[start:end].strip() for start, end in itertools.pairwise(cuts))
    return [piece for piece in pieces if piece]


def is_sentence(text: str) -> bool:
    """Whether a piece of text is a sentence at all: at least three words of letters (not a menu, date or number)."""
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= 3


# ----------------------------------------------------------------------------------------------------------------
# Cues: what makes a sentence a candidate, and what makes it not one

_Q = "['’]"  # straight or curly apostrophe

# (kind, confidence, pattern) in order: the first that matches names the kind.
_CUES: list[tuple[str, float, re.Pattern[str]]] = [
    (
        "request",
        0.6,
        re.compile(
            r"\b(?:urg(?:ed|es|ing)|call(?:ed|s|ing)? (?:on|upon|for)|ask(?:ed|s|ing)? (?:for|\w+ to)|"
            r"request(?:ed|s|ing)?|appeal(?:ed|s)? (?:to|for)|invit(?:ed|es) \w+(?: \w+)? to|"
            r"encourag(?:ed|es) \w+(?: \w+)? to|sought \w+(?: \w+)?" + _Q + r"?s? support)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "agreement",
        0.9,
        re.compile(
            r"\b(?:agreed|agree|concurred|reached (?:an? )?(?:agreement|consensus)|decided|resolved)"
            r"(?: (?:on|to|that|upon))?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "continuation",
        0.85,
        re.compile(
            r"\b(?:(?:will|would|shall|to|should|must) (?:\w+ly )?(?:continue|keep|remain committed)|"
            r"continu(?:e|es|ing) to|(?:is|are) being (?:\w+ed|given|undertaken|built))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "pledge",
        0.9,
        re.compile(
            r"\b(?:will|shall|pledged?|pledges|commit(?:ted|s)? (?:to|itself|themselves)|"
            r"(?:is|are|remain(?:s|ed)?) committed to|vow(?:ed|s)|promised?|undert(?:ook|akes) to|"
            r"plans? to|intends? to|(?:is|are|was|were) (?:seeking|planning|preparing|working) to|"
            r"(?:is|are) seeking|offered to|announced (?:a|an|that|its|plans?)|set to)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "aspiration",
        0.65,
        re.compile(
            r"\b(?:(?:expressed|voiced?|voicing|expressing|shared) (?:the |their |her |his |its )?"
            r"(?:hope|wish|desire|expectation)|hoped?|hopes|looks? forward to|looked forward to|"
            r"the need (?:to|for)|needs? to|should|must|would|"
            r"(?:it is|it was|was|is) (?:of )?(?:\w+ ){0,2}"
            r"(?:important|importance|essential|necessary|vital|crucial) to|"
            r"(?:stressed|emphasized|emphasised|underscored|highlighted) the importance of)\b",
            re.IGNORECASE,
        ),
    ),
]

# A wider net: words that may signal a commitment. A sentence with one of these that is not proposed is explained.
_CUE_WORDS = re.compile(
    r"\b(?:will|would|shall|should|must|agree\w*|commit\w*|pledg\w*|decid\w*|hope\w*|continu\w*|"
    r"urg\w*|ask\w*|call\w*|request\w*|seek\w*|intend\w*|promis\w*|adopted|launched|signed)\b|"
    r"\b(?:plan(?:s|ned|ning)?|need(?:s|ed)?) (?:to|for)\b",
    re.IGNORECASE,
)

# Sentences that praise, thank or report views are not commitments, even when a cue word appears in them. The main
# verb is what the speaker did: the pattern looks at the start of the sentence (before any "that" clause).
_NOT_COMMITMENTS: list[tuple[str, re.Pattern[str]]] = [
    (
        "praise or thanks for what was done",
        re.compile(
            r"\b(?:noted with (?:appreciation|satisfaction)|(?:highly |also )?commend(?:ed|s|ing)?|welcom(?:ed|es)|"
            r"appreciat(?:ed|es|ion)|prais(?:ed|es)|thank(?:ed|s)|congratulat(?:ed|es)|"
            r"expressed (?:\w+ )?(?:appreciation|gratitude|thanks|satisfaction)|lauded|applauded)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "a statement of views, not of intent to act",
        re.compile(
            r"\b(?:expressed (?:\w+ )?(?:confidence|support|concern|condolences|views?)|exchanged (?:\w+ )?views|"
            r"(?:is|are|was|were) (?:confident|convinced|concerned)|believ(?:ed|es)|expects?|expected|"
            r"reaffirmed (?:the|its|their) (?:support|view|position))\b",
            re.IGNORECASE,
        ),
    ),
]

_PAST_ACTION = re.compile(
    r"\b(?:(?:was|were|has been|have been|had been) (?:\w+ly )?(?:adopted|launched|signed|held|established|"
    r"completed|concluded|agreed|approved|announced)|had (?:\w+ly )?\w+ed)\b",
    re.IGNORECASE,
)
_ASPIRATION_STRONG = re.compile(r"\b(?:hope|wish|need|importance|important|essential|necessary)\b", re.IGNORECASE)


def _first(
    patterns: list[tuple[str, float, re.Pattern[str]]], sentence: str
) -> tuple[str, float, re.Match[str]] | None:
    found = [
        (match.start(), kind, weight, match)
        for kind, weight, pattern in patterns
        if (match := pattern.search(sentence))
    ]
    if not found:
        return None
    # The kind that the sentence's first cue names; for ties, the order of the list.
    found.sort(key=lambda item: item[0])
    _, kind, weight, match = found[0]
    return kind, weight, match


def classify(sentence: str) -> tuple[str, float, str] | tuple[None, float, str]:
    """(kind, confidence, cue) for a candidate, or (None, 0, reason) for a sentence that is not one.

    The reason is empty when the sentence had no cue word at all."""
    cue = _first(_CUES, sentence)
    wide = _CUE_WORDS.search(sentence)
    head = _head(sentence, cue[2].start() if cue else len(sentence))
    for reason, pattern in _NOT_COMMITMENTS:
        judged = pattern.search(head)
        if judged and (cue is None or not _goes_on(sentence, judged.end(), cue[2].start())):
            if cue is None and wide is None:
                return None, 0.0, ""
            return None, 0.0, f"{reason} ('{judged.group()}')"
    if cue is None:
        if wide is None:
            return None, 0.0, ""
        past = _PAST_ACTION.search(sentence)
        if past:
            return None, 0.0, f"a report of past action ('{past.group()}')"
        return None, 0.0, f"'{wide.group()}' here states no intent to act"
    kind, weight, match = cue
    words = match.group()
    if kind == "aspiration" and words.lower() == "would" and not _ASPIRATION_STRONG.search(sentence):
        return None, 0.0, "'would' without a stated hope or need: a conditional or reported view"
    if kind in ("pledge", "continuation") and re.fullmatch(r"will|shall", words, re.IGNORECASE):
        after = sentence[match.end() :]
        subject = sentence[: match.start()].rstrip().rsplit(",", 1)[-1]
        if re.search(
            r"\b(?:relations|ties|cooperation|partnership|friendship|relationship|situation)\s*$", subject
        ) and re.match(
            r"\s+(?:(?:be|have been) )?(?:further )?(?:elevated|enhanced|strengthened|improved|deepened|expanded|"
            r"expand|deepen|grow|flourish|increase|prosper|thrive|improve)\b",
            after,
        ):
            return (
                None,
                0.0,
                f"a prediction of how things will be, not an intent to act ('{subject.split()[-1]} {words}')",
            )
    if sentence.rstrip().endswith("?"):
        return None, 0.0, "a question, not a statement of intent"
    if kind in ("aspiration", "pledge") and re.match(r"\s*(?:\w+\s+)?(?:to\s+)?continu", sentence[match.end() :]):
        kind = "continuation"  # "the need to continue", "pledged to continue": action under way, to go on
    if re.search(r"seek|plan|prepar|working|intend|set to", words, re.IGNORECASE):
        weight = 0.75  # an intention under way, weaker than "will"
    return kind, weight, words


def _head(sentence: str, cue_start: int) -> str:
    """The part of the sentence before its cue, where the speaker's own verb is (praised, believed, noted...)."""
    return sentence[:cue_start]


def _goes_on(sentence: str, judged_end: int, cue_start: int) -> bool:
    # "welcomed X and agreed to Y", "commended X; they will Y": a second verb after the praise carries its own intent.
    between = sentence[judged_end:cue_start]
    return bool(re.search(r"(?:\b(?:and|but|while|went on to)|[;:])\s+(?:\w+\s+){0,2}$", between))


# ----------------------------------------------------------------------------------------------------------------
# Actors

# Named parties, most specific first; the key is how the candidate names them.
_ACTOR_NAMES: list[tuple[str, str]] = [
    ("ROK", r"Republic of Korea|ROK|R\.O\.K\.|South Korea|Korean government|Seoul|Korea(?!n Peninsula|n War)"),
    ("DPRK", r"DPRK|Democratic People" + _Q + r"s Republic of Korea|North Korea|Pyongyang"),
    ("ASEAN", r"ASEAN(?! Regional Forum)"),
    ("United States", r"United States|U\.S\.(?! dollars?)|USA|Washington"),
    ("EU", r"European Union|EU"),
    ("UN", r"United Nations|UN(?=\s)"),
    ("Mekong", r"Mekong countries"),
]
_STATES = (
    "Brunei Darussalam|Brunei|Cambodia|Indonesia|Lao PDR|Laos|Malaysia|Myanmar|Philippines|Singapore|Thailand|"
    "Viet Nam|Vietnam|Timor-Leste|Japan|China(?! Sea)|India|Australia|New Zealand|Russia|Canada|United Kingdom|France|"
    "Germany|Italy|Mongolia|Bangladesh|Pakistan|Sri Lanka|Nepal|Turkey|Türkiye|Saudi Arabia|United Arab Emirates|"
    "Qatar|Egypt|South Africa|Nigeria|Kenya|Brazil|Mexico|Argentina|Chile|Peru|Colombia|Poland|Ukraine|Spain|"
    "Netherlands|Sweden|Norway|Finland|Denmark|Switzerland|Austria|Belgium|Israel|Iran|Kazakhstan|Uzbekistan"
)
_STATE_ALIASES = {"Brunei": "Brunei Darussalam", "Laos": "Lao PDR", "Vietnam": "Viet Nam", "Türkiye": "Turkey"}
_ACTOR_PATTERN = re.compile(
    "|".join(f"(?P<a{n}>\\b(?:{pattern})\\b)" for n, (_, pattern) in enumerate(_ACTOR_NAMES))
    + f"|(?P<state>\\b(?:{_STATES})\\b)"
)
# Subjects that mean every party to the meeting.
_ALL_PARTIES = re.compile(
    r"\b(?:the two sides|both sides|the (?:two )?parties|the (?:foreign )?ministers|the leaders|the participants|"
    r"the participating countries|all (?:the )?participants|the co-chairs|they|we)\b",
    re.IGNORECASE,
)


def actors_named(text: str) -> list[str]:
    """The parties named in `text`, in order of first mention, each once."""
    found: list[str] = []
    for match in _ACTOR_PATTERN.finditer(text):
        name = match["state"] and _STATE_ALIASES.get(match["state"], match["state"])
        if not name:
            index = next(int(key[1:]) for key, value in match.groupdict().items() if value and key != "state")
            name = _ACTOR_NAMES[index][0]
        if name not in found:
            found.append(name)
    return found


def _parties(units: list[tuple[int | None, str]]) -> list[str]:
    """The statement's parties: the (at most two) most often named, for subjects such as 'the two sides'."""
    counts: dict[str, int] = {}
    for _, sentence in units:
        for name in actors_named(sentence):
            counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda name: -counts[name])
    return ranked[:2]


_PERSON = re.compile(
    r"\b(?:she|he|her|his|the (?:foreign |prime )?minister|minister|president|prime minister|secretary|"
    r"the chair|chairman|spokes(?:person|man|woman)|ambassador)\b",
    re.IGNORECASE,
)


def _actors_of(
    sentence: str, cue_start: int, kind: str, previous: list[str], speaker: list[str], parties: list[str]
) -> list[str]:
    """The acting parties: those named before the cue (the subject); 'the two sides' are all the parties; a minister,
    'she' or 'he' is the statement's speaker; for a request, the party asked comes after the speaker."""
    before = sentence[:cue_start]
    clause = re.split(r",|\bthat\b", before)[-1]  # the subject is next to the verb: "..., the ROK government will"
    if actors_named(clause) or _ALL_PARTIES.search(clause) or _PERSON.search(clause):
        before = clause
    named = [name for name in actors_named(before) if not _only_in_compounds(before, name)]
    if _ALL_PARTIES.search(before):
        acting = _merge(named, parties)
    elif named:
        acting = named
    elif _PERSON.search(before):
        acting = speaker or previous
    else:
        acting = previous or speaker
    if kind == "agreement" and not _ALL_PARTIES.search(before) and len(acting) < 2:
        acting = _merge(acting, parties)
    if kind == "request":
        asked = actors_named(sentence[cue_start : cue_start + 80])
        acting = _merge(acting, asked[:2])
    return acting


def _only_in_compounds(text: str, name: str) -> bool:
    """Whether every mention of `name` is inside a compound such as 'ASEAN-ROK' or 'ASEAN-led', which names no actor."""
    pattern = next((p for key, p in _ACTOR_NAMES if key == name), re.escape(name))
    mentions = list(re.finditer(rf"\b(?:{pattern})\b", text))
    return bool(mentions) and all(
        text[m.start() - 1 : m.start()] == "-" or text[m.end() : m.end() + 1] == "-" for m in mentions
    )


def _merge(first: list[str], second: list[str]) -> list[str]:
    return [*first, *(name for name in second if name not in first)]


# ----------------------------------------------------------------------------------------------------------------
# Pillar

# A documented keyword lexicon (see README); a sentence goes to the pillar with the most hits, cross-cutting on a tie,
# with no hit, or with a word that spans the pillars.
PILLAR_KEYWORDS: dict[Pillar, tuple[str, ...]] = {
    Pillar.POLITICAL_SECURITY: (
        "security",
        "terroris",
        "extremis",
        "crime",
        "peace",
        "peninsula",
        "denucleari",
        "nuclear",
        "defen",
        "military",
        "maritime security",
        "south china sea",
        "provocat",
        "cyber",
        "border",
        "conflict",
        "human rights",
        "law enforcement",
        "regional forum",
        "dialogue with north korea",
        "sanction",
    ),
    Pillar.ECONOMIC: (
        "trade",
        "econom",
        "investment",
        "supply chain",
        "rcep",
        "free trade",
        "tariff",
        "market",
        "startup",
        "business",
        "industr",
        "infrastructure",
        "energy",
        "financ",
        "customs",
        "connectivity",
        "smart cit",
    ),
    Pillar.SOCIO_CULTURAL: (
        "education",
        "scholarship",
        "training",
        "health",
        "medical",
        "pandemic",
        "vaccine",
        "culture",
        "cultural",
        "people-to-people",
        "youth",
        "disaster",
        "climate",
        "environment",
        "marine debris",
        "tourism",
        "women",
        "social",
        "capacity",
        "exchange",
    ),
}
CROSS_CUTTING_KEYWORDS = (
    "across the board",
    "all sectors",
    "full range of sectors",
    "plan of action",
    "strategic partnership",
    "cooperation fund",
    "new southern policy",
    "commitments made",
)


def pillar_of(sentence: str) -> str:
    """The pillar that the sentence's keywords point to (see PILLAR_KEYWORDS)."""
    lowered = sentence.lower()
    if any(word in lowered for word in CROSS_CUTTING_KEYWORDS):
        return Pillar.CROSS_CUTTING.value
    hits = {pillar: sum(lowered.count(word) for word in words) for pillar, words in PILLAR_KEYWORDS.items()}
    best = max(hits.values())
    leaders = [pillar for pillar, count in hits.items() if count == best]
    return leaders[0].value if best and len(leaders) == 1 else Pillar.CROSS_CUTTING.value


# ----------------------------------------------------------------------------------------------------------------
# Due dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_BY_DATE = re.compile(
    r"\b(?:by|until|till|before|no later than|through|in|within|at the end of|by the end of|in early|in late|"
    r"in mid-?)\s+(?:the end of\s+)?(?:" + _MONTH + r"\s+)?" + _YEAR + r"\b(?![-–/]\d)",
    re.IGNORECASE,
)
_YEAR_RANGE = re.compile(r"\b(?:19|20)\d\d\s?[-–—]\s?(?P<year>(?:19|20)\d\d)\b")
_PAST_MARK = re.compile(
    r"\b(?:since|last|ago|(?<!be )(?:held|made|adopted|launched|established|signed))\b[^,;]{0,40}$", re.IGNORECASE
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "a": 1,
}
_NEXT_YEARS = re.compile(
    r"\b(?:for|over|in|within|during) the (?:next|coming) (?P<count>\d+|one|two|three|four|five|six|seven|eight|"
    r"nine|ten) years\b|\bwithin (?P<count2>\d+|one|two|three|four|five|six|seven|eight|nine|ten|a) years?\b",
    re.IGNORECASE,
)
_YEAR_END = re.compile(
    r"\b(?:later (?:in|this) (?:the )?year|(?:by )?the end of (?:the|this) year|within (?:the|this) year|"
    r"later this year)\b",
    re.IGNORECASE,
)
_NEXT_YEAR = re.compile(r"\b(?:next year|in the coming year)\b", re.IGNORECASE)


def due_date(sentence: str, statement_date: date | None) -> tuple[str | None, bool]:
    """(the due date the sentence sets or None, whether it named a relative time that needs the statement date).

    "in 2020" or "by 2027" is the end of that year, "by March 2021" the end of that month, "2021-2025" the end of
    2025; "later in the year", "next year" and "for the next five years" count from the statement date. None where
    that would be after the last day a date can have (9999-12-31)."""
    due, relative = _due_date(sentence, statement_date)
    return (due if due is None or len(due) == len("9999-12-31") else None), relative


def _due_date(sentence: str, statement_date: date | None) -> tuple[str | None, bool]:
    for match in _BY_DATE.finditer(sentence):
        if _PAST_MARK.search(sentence[: match.start()][-60:]):
            continue
        year = int(match["year"])
        if statement_date is not None and year < statement_date.year:
            continue
        month = _MONTHS[match["month"].lower()] if match["month"] else 12
        return _month_end(year, month), False
    for match in _YEAR_RANGE.finditer(sentence):
        year = int(match["year"])
        if statement_date is None or year >= statement_date.year:
            return _year_end(year), False
    relative = _NEXT_YEARS.search(sentence)
    if relative:
        if statement_date is None:
            return None, True
        count = relative["count"] or relative["count2"]
        years = _NUMBER_WORDS[count.lower()] if not count.isdecimal() else int(count) if len(count) <= 4 else None
        if years is not None and statement_date.year + years <= _LAST_YEAR:  # not "within 99999 years"
            return _add_years(statement_date, years), False
    if _YEAR_END.search(sentence):
        return (None, True) if statement_date is None else (_year_end(statement_date.year), False)
    if _NEXT_YEAR.search(sentence):
        return (None, True) if statement_date is None else (_year_end(statement_date.year + 1), False)
    return None, False


def _year_end(year: int) -> str:
    """The last day of a year, as ISO writes it (four digits: year 1 is 0001); past 9999, longer, which `due_date`
    leaves out."""
    return f"{year:04d}-12-31"


def _month_end(year: int, month: int) -> str:
    import calendar

    return date(year, month, calendar.monthrange(year, month)[1]).isoformat()


_LAST_YEAR = date.max.year


def _add_years(start: date, years: int) -> str:
    try:
        return start.replace(year=start.year + years).isoformat()
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28).isoformat()


# ----------------------------------------------------------------------------------------------------------------
# Amounts

_SCALE = {
    "thousand": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
}
_CURRENCY_BEFORE = {
    "usd": "USD",
    "us$": "USD",
    "u.s.$": "USD",
    "$": "USD",
    "eur": "EUR",
    "€": "EUR",
    "krw": "KRW",
    "₩": "KRW",
    "jpy": "JPY",
    "¥": "JPY",
    "gbp": "GBP",
    "£": "GBP",
    "cny": "CNY",
    "rmb": "CNY",
    "sgd": "SGD",
    "aud": "AUD",
    "a$": "AUD",
    "s$": "SGD",
}
_CURRENCY_AFTER = {
    "u.s. dollars": "USD",
    "us dollars": "USD",
    "dollars": "USD",
    "usd": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "eur": "EUR",
    "won": "KRW",
    "krw": "KRW",
    "yen": "JPY",
    "jpy": "JPY",
    "yuan": "CNY",
    "cny": "CNY",
    "pounds": "GBP",
    "gbp": "GBP",
    "sgd": "SGD",
    "aud": "AUD",
}
_NUMBER = r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE_NAMED = r"[\s-]*(?P<scale>thousand|million|billion|trillion|mn|bn|m)\b"
_SCALE_WORD = rf"(?:{_SCALE_NAMED})?"
_AMOUNT_BEFORE = re.compile(
    r"(?P<currency>\bUSD|\bUS\$|\bU\.S\.\s?\$|\bEUR|\bKRW|\bJPY|\bGBP|\bCNY|\bRMB|\bSGD|\bAUD|\bA\$|\bS\$|[$€₩¥£])"
    # with no scale word, the number is not the first digits of "1e308" or "1,0000" ("USD 5 million.12" has one)
    r"\s?" + _NUMBER + rf"(?:{_SCALE_NAMED}|(?![^\W_]|[.,]\d))",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(
    r"\b" + _NUMBER + _SCALE_WORD + r"\s+(?P<currency>U\.S\. dollars|US dollars|dollars|USD|euros?|EUR|won|KRW|"
    r"yen|JPY|yuan|CNY|pounds sterling|pounds|GBP|SGD|AUD)\b",
    re.IGNORECASE,
)
_PER = [
    ("year", re.compile(r"\b(?:annual(?:ly)?|a year|per year|each year|every year|per annum|a-year|yearly)\b", re.I)),
    ("month", re.compile(r"\b(?:monthly|a month|per month|each month|every month)\b", re.I)),
]


def amount_of(sentence: str) -> Amount | None:
    """The first sum of money in the sentence ("USD 14 million", "14 million U.S. dollars", "US$10-million")."""
    found = [
        (match.start(), match, table)
        for pattern, table in ((_AMOUNT_BEFORE, _CURRENCY_BEFORE), (_AMOUNT_AFTER, _CURRENCY_AFTER))
        for match in pattern.finditer(sentence)
    ]
    for _, match, table in sorted(found, key=lambda item: item[0]):
        currency = table.get(" ".join(match["currency"].lower().split()).removesuffix(" sterling"))
        if currency is None:
            continue
        raw = match["number"].replace(",", "")
        scale = _SCALE[match["scale"].lower()] if match["scale"] else 1
        value: int | float = float(raw) * scale
        if value <= 0 or value > AMOUNT_MAX:
            continue
        if float(value).is_integer():
            value = int(value)
        per = next((name for name, pattern in _PER if pattern.search(sentence)), None)
        return {"value": value, "currency": currency, "per": per}
    return None


# ----------------------------------------------------------------------------------------------------------------
# Titles

_NOMINALISED = {
    "launch": "Launch",
    "launching": "Launch",
    "signing": "Sign",
    "implementation": "Implement",
    "establishment": "Establish",
    "expansion": "Expand",
    "holding": "Hold",
    "adoption": "Adopt",
    "creation": "Create",
    "development": "Develop",
    "conclusion": "Conclude",
    "promotion": "Promote",
    "strengthening": "Strengthen",
    "resumption": "Resume",
    "provision": "Provide",
    "completion": "Complete",
    "opening": "Open",
}
_LEMMAS = {
    "seeking": "Seek",
    "continue": "Continue",
    "keep": "Keep",
    "continuing": "Continue",
    "planning": "Plan",
    "working": "Work",
    "preparing": "Prepare",
}
_TRAILING = re.compile(r"(?:[\s,;:(\-–—]+|\s+(?:and|or|of|to|the|a|an|in|on|for|with|by|at|from|as|its|their|that))+$")


def title_of(sentence: str, cue: re.Match[str] | None) -> str:
    """A title of at most 80 characters that starts with a verb: what is to be done, from the words after the cue."""
    rest = sentence[cue.end() :] if cue else sentence
    cue_words = cue.group().lower() if cue else ""
    lead = next((lemma for word, lemma in _LEMMAS.items() if cue_words.endswith(word)), None)
    rest = re.sub(r"^[\s,]+", "", rest)
    if cue and re.fullmatch(r"will|shall|would", cue_words):
        subject = re.split(r",|\bthat\b", sentence[: cue.start()])[-1].strip()
        rest = _active(subject, re.sub(r"^(?:\w+ly\s+)", "", rest))
    elif re.match(r"urg|invit|encourag|appeal", cue_words) and not cue_words.endswith(" to"):
        object_to = re.match(r"(?:[\w’'-]+\s+){0,6}?to\s+", rest)
        rest = rest[object_to.end() :] if object_to else rest
    elif re.match(r"pledge|promise|offered|commit", cue_words) and not rest.lower().startswith("to "):
        rest = "Provide " + rest
    elif cue_words.startswith(("ask", "call")) and cue_words.endswith("for"):
        rest = "Ask for " + rest
    elif lead:
        rest = re.sub(r"^to\s+", "", rest)
        rest = rest if re.match(r"\w+\s", rest) and rest.split()[0].lower() in _VERBS else f"{lead} {rest}"
    else:
        rest = _after_clause(rest)
    rest = re.sub(r"^(?:\w+ly|further|also|jointly|actively|faithfully|continuously)\s+", "", rest, flags=re.I)
    nominal = re.match(r"(?:the|a|an)\s+(\w+)\s+of\s+(?:the\s+)?", rest, re.IGNORECASE)
    if nominal and nominal[1].lower() in _NOMINALISED:
        rest = f"{_NOMINALISED[nominal[1].lower()]} {rest[nominal.end() :]}"
    rest = re.sub(
        r",?\s+(?:according to .*|(?:the |a |an )?[\w\s]{0,40}\b(?:said|says|reported|added))$",
        "",
        rest.rstrip(" .;:!?\"”’'"),
    )
    rest = rest.rstrip(" .;:!?\"”’'")
    if not rest:
        rest = "Act on this statement"
    return _cut(rest[0].upper() + rest[1:])


# "..., the foreign ministry said", "..., according to the ministry": who reported it is not part of what is to be done.
_ATTRIBUTION = re.compile(r",?\s+(?:according to .*|(?:the |a |an )?[\w\s]{0,40}\b(?:said|says|reported|added))$")
_VERBS = {"advance", "hold", "host", "provide", "launch", "establish", "continue", "promote", "support", "expand"}


def _after_clause(rest: str) -> str:
    """From "that the two sides would promote X" to "promote X"; from "to continue X" to "continue X"."""
    rest = re.sub(r"^(?:to|on|upon|that)\s+", "", rest, flags=re.IGNORECASE)
    rest = re.sub(r"^(?:the need|need)\s+(?:to|for)\s+", "", rest, flags=re.IGNORECASE)
    modal = re.search(r"\b(?:would|will|should|shall|could|can|must)\s+(?:\w+ly\s+)?(?:be able to\s+)?", rest)
    if modal and modal.start() < 200 and not re.match(r"(?:the |a |an )?(?:launch|signing|implementation)\b", rest):
        return _active(rest[: modal.start()].strip(), rest[modal.end() :])
    to = re.match(r"(?:\w+\s+){0,4}?to\s+(?=[a-z])", rest) if not re.match(r"[a-z]+\s", rest) else None
    return rest[to.end() :] if to else rest


_IRREGULAR = {
    "held": "hold",
    "set": "set",
    "built": "build",
    "given": "give",
    "made": "make",
    "taken": "take",
    "sent": "send",
    "met": "meet",
    "paid": "pay",
    "spent": "spend",
    "run": "run",
    "begun": "begin",
}


def _lemma(participle: str) -> str:
    """A past participle's base form, roughly: held -> hold, doubled -> double, established -> establish."""
    word = participle.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ied"):
        return word[:-3] + "y"
    stem = word.removesuffix("ed")
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        return stem[:-1]  # planned -> plan
    if re.search(r"(?:[^aeiou][aeiou][cgsvz]|at|iz|is|ur|bl|ubl|rg|nc|rs|us|uc|[^aeiou]l)$", stem):
        return stem + "e"  # doubled -> double, organized -> organize, reduced -> reduce
    return stem


def _active(subject: str, predicate: str) -> str:
    """ "the next Summit" + "be held in Seoul" -> "hold the next Summit in Seoul"; "talks" + "continue" -> "continue
    talks"; otherwise the predicate alone, which starts with a verb."""
    subject = re.sub(r"^(?:that|and)\s+", "", subject, flags=re.IGNORECASE)
    pronoun = re.fullmatch(r"(?:it|they|we|she|he|both|all|each)", subject, re.IGNORECASE)
    passive = re.match(r"be\s+(?:\w+ly\s+)?(\w+ed|held|set|built|given|made|taken|sent|paid|spent)\b\s*", predicate)
    if passive and subject and not pronoun and len(subject) < 80:
        return f"{_lemma(passive[1])} {subject[0].lower()}{subject[1:]} {predicate[passive.end() :]}".strip()
    intransitive = re.match(r"(continue|resume|take place|begin|start|convene)\b\s*", predicate)
    if intransitive and subject and not pronoun and not actors_named(subject) and len(subject) < 60:
        verb = {"take place": "hold", "begin": "begin", "start": "start"}.get(intransitive[1], intransitive[1])
        return f"{verb} {subject[0].lower()}{subject[1:]} {predicate[intransitive.end() :]}".strip()
    return predicate


def _cut(title: str) -> str:
    """At most 80 characters, cut at a word and with no dangling 'and' or 'of'."""
    if len(title) <= TITLE_LIMIT:
        return title
    cut = title[: TITLE_LIMIT + 1].rsplit(" ", 1)[0]
    # End where a phrase ends, before "in", "with", "by"..., if that keeps at least half the room.
    phrases = [m.start() for m in re.finditer(r",|\s(?:in|on|by|through|with|for|and|including|such as|which)\s", cut)]
    if phrases and phrases[-1] >= TITLE_LIMIT // 2:
        cut = cut[: phrases[-1]]
    return _TRAILING.sub("", cut)[:TITLE_LIMIT]


# ----------------------------------------------------------------------------------------------------------------
# The whole statement


def extract(text: str, statement_date: date | None = None, min_confidence: float = 0.0) -> Extraction:
    """Candidate commitments in `text`, most confident first (then in the statement's order), and the sentences with
    a cue word that were left out, with why. Raises InvalidInputError if the text holds no sentence."""
    units = [(unit.number, sentence) for unit in paragraphs(text) for sentence in sentences(unit.text)]
    units = [(number, sentence) for number, sentence in units if is_sentence(sentence)]
    if not units:
        raise InvalidInputError("found no sentences: give the text of a statement (at least one sentence of words)")
    parties = _parties(units)
    speaker = _speaker(units) or parties[:1]
    last_text = text.rstrip()
    truncated_last = not _TERMINAL.search(last_text)
    result = Extraction()
    found: list[tuple[float, int, Candidate]] = []
    previous: dict[int | None, list[str]] = {}
    for position, (number, sentence) in enumerate(units):
        kind, weight, cue = classify(sentence)
        mentioned = actors_named(sentence)
        if kind is None:
            if cue:
                result.rejected.append(Rejection(number, sentence, _wide_cue(sentence), cue))
            if mentioned:
                previous[number] = mentioned
            continue
        match = _cue_match(sentence, cue)
        start = match.start() if match else 0
        actors = _actors_of(sentence, start, kind, previous.get(number, []), speaker, parties)
        named = [name for name in actors_named(sentence[:start]) if not _only_in_compounds(sentence[:start], name)]
        due, needs_date = due_date(sentence, statement_date)
        amount = amount_of(sentence)
        truncated = truncated_last and position == len(units) - 1
        confidence = weight + (0.05 if named else 0.0) + (0.05 if due or amount else 0.0)
        if truncated:
            confidence *= 0.7  # the excerpt ends in mid-sentence: what was promised may be cut off
        confidence = round(min(confidence, 1.0), 2)
        if mentioned:
            previous[number] = mentioned
        if confidence < min_confidence:
            result.rejected.append(
                Rejection(number, sentence, cue, f"confidence {confidence:.2f} is below --min-confidence")
            )
            continue
        result.needs_date += needs_date
        candidate = Candidate(
            paragraph=number,
            quote=sentence,
            title=title_of(sentence, match),
            actors=actors,
            kind=kind,
            pillar=pillar_of(sentence),
            due=due,
            amount=amount,
            cue=cue,
            confidence=confidence,
        )
        found.append((-confidence, position, candidate))
    result.candidates = [candidate for _, _, candidate in sorted(found, key=lambda item: item[:2])]
    return result


def _speaker(units: list[tuple[int | None, str]]) -> list[str]:
    """The party that speaks in the statement: the one most often named as the subject of a sentence with a cue
    (before the cue, not in a compound such as 'ASEAN-ROK'), e.g. 'The ROK government will continue'."""
    counts: dict[str, int] = {}
    for _, sentence in units:
        cue = _first(_CUES, sentence)
        if cue is None:
            continue
        before = sentence[: cue[2].start()]
        for name in actors_named(before):
            if not _only_in_compounds(before, name):
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: -counts[name])[:1]


def _wide_cue(sentence: str) -> str:
    match = _CUE_WORDS.search(sentence)
    return match.group() if match else ""


def _cue_match(sentence: str, cue: str) -> re.Match[str] | None:
    return re.search(re.escape(cue), sentence)


# ----------------------------------------------------------------------------------------------------------------
# Evaluation against a gold set


def _comparable(quote: str) -> str:
    return " ".join(quote.translate(_QUOTES).split())


_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


def covers(candidate_quote: str, gold_quote: str) -> bool:
    """Whether a candidate's quote covers a gold quote: after whitespace is collapsed and curly quotes made straight,
    the candidate's quote contains the gold quote (a gold quote may be part of a sentence), or the gold quote
    contains the candidate's (a gold quote of several sentences, of which the candidate is one whole sentence)."""
    candidate, gold = _comparable(candidate_quote), _comparable(gold_quote)
    return bool(candidate) and bool(gold) and (gold in candidate or candidate in gold)


def recall_precision(candidate_quotes: list[str], gold_quotes: list[str]) -> tuple[float, float]:
    """(share of distinct gold quotes that some candidate covers, share of candidates that cover some gold quote)."""
    golds = sorted(set(map(_comparable, gold_quotes)))
    found = sum(any(covers(candidate, gold) for candidate in candidate_quotes) for gold in golds)
    hits = sum(any(covers(candidate, gold) for gold in golds) for candidate in candidate_quotes)
    return (found / len(golds) if golds else 1.0), (hits / len(candidate_quotes) if candidate_quotes else 1.0)


# ----------------------------------------------------------------------------------------------------------------
# From candidates to commitments


def numbered_paragraphs(text: str) -> dict[int, str]:
    """The statement's numbered paragraphs as `extract` numbers them (sub-points included), one line per unit of
    text, the first after its number: the paragraph that a candidate's `paragraph` cites."""
    found: dict[int, list[str]] = {}
    for unit in paragraphs(text):
        if unit.number is not None:
            found.setdefault(unit.number, []).append(unit.text)
    return {number: f"{number}. " + "\n".join(lines) for number, lines in found.items()}


def recorded_as(quote: str, recorded: Iterable[tuple[str, str]]) -> str | None:
    """The id of the first of the (id, quote) pairs whose quote covers `quote` or is covered by it (see `covers`):
    the commitment that already records a candidate; None if none does."""
    return next((commitment_id for commitment_id, theirs in recorded if covers(quote, theirs)), None)
