"""A seeded generator of realistic wikitext poll articles, for benchmarks.

Each article has prose with links and references, then poll tables of 10 to 500 rows written the
way Wikipedia editors write them: `{{opdrts}}` fieldwork dates, linked pollsters, italic clients,
`N/A`, the leader's share in bold with a background style, footnotes in cells, event rows that
span the answer columns, and a pollster cell that spans two rows. The same seed gives the same
corpus, byte for byte.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

POLLSTERS = ["YouGov", "Opinium", "Kantar", "Ipsos", "Savanta ComRes", "Deltapoll", "BMG Research",
             "Redfield & Wilton Strategies", "Survation", "Omnisis", "NSPM", "Ninamedia"]  # fmt: skip
CLIENTS = ["''The Observer''", "N/A", "''The Independent''", "Eurotrack", "''N/A''", "The Times"]
EVENTS = ["Election called", "Referendum announced", "Treaty signed", "Government resigns",
          "Summit held", "Invasion begins"]  # fmt: skip
WORDS = [
    "the", "of", "membership", "poll", "public", "support", "opinion", "government", "treaty",
    "alliance", "survey", "voters", "question", "answer", "neutral", "relations", "policy",
    "debate", "parliament", "referendum",
]  # fmt: skip
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# The <siteinfo> of an English Wikipedia export, for generated dumps (benchmarks and tests).
SITEINFO = """  <siteinfo>
    <sitename>Wikipedia</sitename>
    <dbname>enwiki</dbname>
    <base>https://en.wikipedia.org/wiki/Main_Page</base>
    <generator>MediaWiki 1.42.0-wmf.1</generator>
    <case>first-letter</case>
    <namespaces>
      <namespace key="0" case="first-letter" />
      <namespace key="1" case="first-letter">Talk</namespace>
    </namespaces>
  </siteinfo>
"""


def _prose(rng: random.Random, sentences: int) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
        if rng.random() < 0.3:
            words[rng.randrange(len(words))] = f"[[{rng.choice(WORDS).title()} policy|policy]]"
        sentence = " ".join(words).capitalize() + "."
        if rng.random() < 0.4:
            sentence += f"<ref>{{{{cite web|title={rng.choice(WORDS)} report|url=https://example.org/{rng.randint(1, 9999)}}}}}</ref>"
        out.append(sentence)
    return " ".join(out)


def _poll_row(rng: random.Random, day: date, pollster_cell: str | None) -> tuple[str, int]:
    support = rng.randint(20, 60)
    oppose = rng.randint(15, 100 - support - 2)
    neither = 100 - support - oppose
    shares = [support, oppose, neither]
    leader = 0 if support >= oppose else 1
    lead = abs(support - oppose)
    start = day - timedelta(days=rng.randint(0, 3))
    first = "" if start == day else str(start.day)
    cells = [f"{{{{opdrts|{first}|{day.day}|{MONTHS[day.month - 1]}|{day.year}|year}}}}"]
    if pollster_cell is not None:
        cells.append(pollster_cell)
    cells.append(rng.choice(CLIENTS))
    cells.append(f"{rng.randint(900, 2500):,}")
    for index, share in enumerate(shares):
        text = f"{share}%"
        if index == leader:
            text = f"style=\"background:#EEDDDD\"|'''{share}%'''"
        if rng.random() < 0.05:
            text += f'<ref name="n{rng.randint(1, 99)}">Note on the figures.</ref>'
        cells.append(text)
    cells.append(f'style="background:#4477AA;color:#FFFFFF;"|{"Tie" if lead == 0 else f"{lead}%"}')
    return "|-\n" + "\n".join("|" + cell for cell in cells), 1


def poll_table(rng: random.Random, rows: int, year: int) -> tuple[str, int]:
    """A poll table of `rows` data rows; returns its text and the number of poll rows in it."""
    lines = [
        '{| class="wikitable sortable" style="text-align:center"',
        "|+ Opinion polls",
        "! Date(s) conducted !! Pollster !! Client !! Sample size !! Support !! Opposed !! Neither !! Lead",
    ]
    day = date(year, 12, 28)
    polls = 0
    written = 0
    while written < rows:
        if rng.random() < 0.03:
            lines.append(f'|-\n| {day.day} {day.strftime("%B")} {day.year} || colspan="7" | '
                         f"''{rng.choice(EVENTS)}''")  # fmt: skip
            written += 1
        elif rng.random() < 0.1 and rows - written >= 2:
            pollster = rng.choice(POLLSTERS)
            first, _ = _poll_row(
                rng, day, f'rowspan="2"|[https://example.org/{pollster} {pollster}]'
            )
            day -= timedelta(days=rng.randint(1, 3))
            second, _ = _poll_row(rng, day, None)
            lines += [first, second]
            written += 2
            polls += 2
        else:
            pollster = rng.choice(POLLSTERS)
            row, _ = _poll_row(rng, day, f"[[{pollster}]]")
            lines.append(row)
            written += 1
            polls += 1
        day -= timedelta(days=rng.randint(1, 4))
        if day.year < year:
            day = date(year, 12, 28)
    lines.append("|}")
    return "\n".join(lines), polls


def article(rng: random.Random, target_bytes: int) -> tuple[str, int]:
    """An article of about `target_bytes`; returns its text and its number of poll rows."""
    parts = [f"{{{{Short description|{rng.choice(WORDS)} relations}}}}",
             "'''Relations''' between two states. " + _prose(rng, 5), "==Background==",
             _prose(rng, 12)]  # fmt: skip
    polls = 0
    year = 2024
    while sum(len(part) for part in parts) < target_bytes:
        parts.append(f"==={year}===")
        parts.append(_prose(rng, rng.randint(1, 4)))
        table, count = poll_table(rng, rng.randint(10, 500), year)
        parts.append(table)
        polls += count
        year -= 1
    parts += ["==References==", "{{Reflist}}"]
    return "\n\n".join(parts) + "\n", polls


def corpus(seed: int, articles: int, min_bytes: int = 20_000, max_bytes: int = 1_000_000):
    """Yield (name, text, poll_rows) for a seeded corpus; sizes spread like real articles."""
    rng = random.Random(seed)
    for index in range(articles):
        size = int(min_bytes * (max_bytes / min_bytes) ** (rng.random() ** 2))
        text, polls = article(rng, size)
        yield f"article_{index:05d}.wiki", text, polls
