"""Load and check a framework definition.

A definition is data (YAML, see docs/framework-format.md). It is checked here, once, so that every
later stage can trust it: the workbook, ingest and the statistics all assume unique codes and one
descriptor per level. Problems name the file and the line because the person fixing a home-made
framework is looking at that file, not at our code.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sheetreview.errors import FrameworkError

FORMAT = 1
KINDS = ("aspect", "summary")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A sheet is named "<kind> <short name> <round>" (Excel: at most 31 characters): "Schools " takes 8
# and a round such as "2025-autumn" 11, which leaves 12 for the framework.
SHORT_NAME_MAX = 12
_SHORT_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9 -]{{0,{SHORT_NAME_MAX - 1}}}$")


@dataclass(frozen=True)
class Level:
    rank: int  # 1 = least developed, whatever the framework's own numbering
    label: str
    aliases: tuple[str, ...] = ()
    sections: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Descriptor:
    rank: int
    text: str
    sections: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Group:
    code: str
    title: str


@dataclass(frozen=True)
class Aspect:
    code: str
    title: str
    group: str
    kind: str
    descriptors: tuple[Descriptor, ...] = ()

    def descriptor(self, rank: int) -> Descriptor | None:
        for d in self.descriptors:
            if d.rank == rank:
                return d
        return None


@dataclass(frozen=True)
class VersionMap:
    """How an earlier version's aspect codes correspond to this version's.

    Progress between rounds is computed across this map; an old code mapped to None has no
    counterpart now and is reported, never silently dropped.
    """

    version: str
    aspects: dict[str, str | None] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class QueryRules:
    """Thresholds of the plausibility queries (None: the rule is switched off).

    Defaults apply to every framework; a definition may change or switch off each one under
    `queries:` (docs/framework-format.md).
    """

    rise: int | None = 2  # levels risen on an aspect since the school's previous round
    same_level: int | None = 6  # aspects a return must have before "all at one level" is odd
    top_level_words: int | None = 15  # fewer words of evidence than this at the top level
    fall_without_next_steps: int | None = 2  # levels fallen, with no next steps written


QUERY_KEYS = {
    "rise_since_previous": "rise",
    "same_level_everywhere": "same_level",
    "top_level_evidence_words": "top_level_words",
    "fall_without_next_steps": "fall_without_next_steps",
}


@dataclass(frozen=True)
class AwardRule:
    """At least `count` aspects (all of them when None) in scope at `rank` or above; in scope:
    the named aspects, else every aspect of kind `aspect` (of the named groups, when given);
    with `per_group`, the count must hold in each group separately."""

    rank: int
    count: int | None = None
    per_group: bool = False
    aspects: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Award:
    name: str
    rules: tuple[AwardRule, ...]


@dataclass(frozen=True)
class Framework:
    id: str
    title: str
    version: str
    levels: tuple[Level, ...]
    aspects: tuple[Aspect, ...]
    groups: tuple[Group, ...] = ()
    publisher: str = "not stated"
    source: str = "not stated"
    source_file: str = ""
    licence: str = "not stated"
    attribution: str = "not stated"
    notes: tuple[str, ...] = ()
    content_hash: str = ""
    path: str = ""
    previous_versions: tuple[VersionMap, ...] = ()
    short_name: str = ""
    queries: QueryRules = QueryRules()
    awards: tuple[Award, ...] = ()  # least demanding first
    award_notes: tuple[str, ...] = ()

    @property
    def level_count(self) -> int:
        return len(self.levels)

    @property
    def sheet_label(self) -> str:
        """What names this framework in a sheet name: its short name, else its id, shortened.

        Excel allows 31 characters per sheet name, and a name such as "Aspects pd-quality-mark
        2025-autumn" does not fit; the definition's `short_name` says what a reader will recognise.
        """
        return self.short_name or self.id[:SHORT_NAME_MAX]

    def aspect(self, code: str) -> Aspect:
        for a in self.aspects:
            if a.code == code:
                return a
        raise KeyError(code)

    def level(self, rank: int) -> Level:
        return self.levels[rank - 1]

    def group_title(self, code: str) -> str:
        for g in self.groups:
            if g.code == code:
                return g.title
        return code

    def current_code(self, version: str, code: str) -> str | None:
        """This version's code for an aspect judged under `version` (None: no counterpart)."""
        if version == self.version:
            return code if any(a.code == code for a in self.aspects) else None
        for vmap in self.previous_versions:
            if vmap.version == version:
                if code in vmap.aspects:
                    return vmap.aspects[code]
                break
        return code if any(a.code == code for a in self.aspects) else None

    def as_version(self, version: str) -> Framework | None:
        """This definition as a return made under an earlier `version` is read, when only this
        definition is known: the old codes of the version map stand in for the aspects they became,
        so an old return keeps every judgement and progress can be computed across the change."""
        vmap = next((v for v in self.previous_versions if v.version == version), None)
        if vmap is None:
            return None
        targets = {new for new in vmap.aspects.values() if new}
        kept = [a for a in self.aspects if a.code not in targets]
        old = []
        for code, new in vmap.aspects.items():
            base = next((a for a in self.aspects if a.code == new), None)
            if base is None:
                old.append(Aspect(code, code, "", "aspect"))
            else:
                old.append(replace(base, code=code))
        # No content hash: the old text is not known, so there is nothing to compare it with.
        return replace(
            self, version=version, aspects=(*kept, *old), content_hash="", previous_versions=()
        )

    def to_dict(self) -> dict[str, Any]:
        """The whole definition in the shape `frameworks show --json` promises."""
        return {
            "id": self.id,
            "title": self.title,
            "short_name": self.short_name,
            "version": self.version,
            "content_hash": self.content_hash,
            "publisher": self.publisher,
            "source": self.source,
            "source_file": self.source_file,
            "licence": self.licence,
            "attribution": self.attribution,
            "levels": [
                {
                    "rank": lv.rank,
                    "label": lv.label,
                    "aliases": list(lv.aliases),
                    "sections": dict(lv.sections),
                }
                for lv in self.levels
            ],
            "groups": [{"code": g.code, "title": g.title} for g in self.groups],
            "aspects": [
                {
                    "code": a.code,
                    "title": a.title,
                    "group": a.group,
                    "kind": a.kind,
                    "descriptors": [
                        {"rank": d.rank, "text": d.text, "sections": dict(d.sections)}
                        for d in a.descriptors
                    ],
                }
                for a in self.aspects
            ],
            "notes": list(self.notes),
            "previous_versions": [
                {"version": v.version, "aspects": dict(v.aspects)} for v in self.previous_versions
            ],
            "queries": {key: getattr(self.queries, attr) for key, attr in QUERY_KEYS.items()},
            "awards": [_award_dict(self, a) for a in self.awards],
            "award_notes": list(self.award_notes),
        }


def _award_dict(fw: Framework, award: Award) -> dict[str, Any]:
    rules = []
    for r in award.rules:
        rule: dict[str, Any] = {"level": fw.level(r.rank).label}
        if r.count is not None:
            rule["count"] = r.count
        if r.per_group:
            rule["per"] = "group"
        if r.aspects:
            rule["aspects"] = list(r.aspects)
        if r.groups:
            rule["groups"] = list(r.groups)
        rules.append(rule)
    return {"name": award.name, "rules": rules}


# --- reading YAML with line numbers ---------------------------------------------------------


class _Marked:
    """Remembers the line of every place in the document, so a problem can point at it.

    A framework file is the user's, or someone's they were sent: YAML aliases are followed only
    so far (a few hundred bytes of nested aliases would otherwise expand to gigabytes), an alias
    to its own ancestor is refused, and a tag other than YAML's plain ones (`!!python/name:`...)
    is refused, as a key or as a value, before anything is built from it.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.lines: dict[str, int] = {}
        self.budget = MAX_YAML_NODES
        self.open: set[int] = set()

    def build(self, node: yaml.Node, place: str) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self._error(
                node,
                place,
                f"expands to more than {MAX_YAML_NODES:,} values (through aliases, '*name'); "
                "write the values out, or use fewer aliases",
            )
        if id(node) in self.open:
            raise self._error(
                node, place, "has an alias ('*name') inside the value it names; remove the alias"
            )
        self.lines[place] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self.open.add(id(node))
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self._error(key_node, place, "has a key that is a list or a mapping")
                key = self._scalar(key_node, place)
                sub = f"{place}.{key}" if place else str(key)
                out[key] = self.build(value_node, sub)
            self.open.discard(id(node))
            return out
        if isinstance(node, yaml.SequenceNode):
            self.open.add(id(node))
            items = [self.build(item, f"{place}[{i}]") for i, item in enumerate(node.value)]
            self.open.discard(id(node))
            return items
        return self._scalar(node, place)

    def _scalar(self, node: yaml.Node, place: str) -> Any:
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._error(
                node, place, f"uses the tag '{tag[:60]}', which a framework file never needs"
            )
        try:
            return yaml.safe_load(yaml.serialize(node))
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise self._error(node, place, f"has a value YAML cannot read ({problem})") from None

    def _error(self, node: yaml.Node, place: str, message: str) -> FrameworkError:
        return FrameworkError(self.name, node.start_mark.line + 1, place, message)

    def line(self, place: str) -> int | None:
        while place:
            if place in self.lines:
                return self.lines[place]
            place = (
                re.sub(r"(\.[^.\[]*|\[\d+\])$", "", place)
                if re.search(r"(\.[^.\[]*|\[\d+\])$", place)
                else ""
            )
        return None


# Ample for any real framework (the largest built-in has a few thousand values).
MAX_YAML_NODES = 200_000
MAX_YAML_BYTES = 5_000_000
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)


def _parse(text: str, name: str) -> tuple[Any, _Marked]:
    if len(text) > MAX_YAML_BYTES:
        raise FrameworkError(
            name,
            None,
            "",
            f"is larger than {MAX_YAML_BYTES // 1_000_000} MB, far more than a framework needs; "
            "check it is the right file",
        )
    marked = _Marked(name)
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrameworkError(
            name,
            line,
            "",
            f"is not valid YAML ({problem}); check the indentation and quoting there",
        ) from None
    if node is None:
        raise FrameworkError(name, None, "", "is empty; start from docs/framework-format.md")
    return marked.build(node, ""), marked


# --- checking ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, name: str, marked: _Marked) -> None:
        self.name = name
        self.marked = marked
        self.problems: list[FrameworkError] = []

    def fail(self, place: str, message: str) -> None:
        self.problems.append(FrameworkError(self.name, self.marked.line(place), place, message))

    def text(self, data: dict, key: str, place: str, required: bool = True) -> str:
        value = data.get(key)
        where = f"{place}.{key}" if place else key
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(where, f"'{key}' is missing; add '{key}: ...'")
            return ""
        if not isinstance(value, str | int | float):
            self.fail(where, f"'{key}' must be text")
            return ""
        return str(value).strip()

    def sections(self, value: Any, place: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(place, "'sections' must map each heading to its text")
            return {}
        out = {}
        for heading, body in value.items():
            if not isinstance(body, str) or not body.strip():
                self.fail(
                    f"{place}.{heading}",
                    f"section '{heading}' has no text; add it or remove the heading",
                )
                continue
            out[str(heading)] = _clean(body)
        return out


def _clean(text: str) -> str:
    """Normalise to paragraphs separated by one blank line, lines without trailing spaces."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(
        "\n".join(line.rstrip() for line in p.strip().splitlines()) for p in paragraphs
    )


def _levels(chk: _Checker, raw: Any) -> tuple[Level, ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        chk.fail(
            "levels",
            "needs at least two levels, least developed first: 'levels: [{label: ...}, ...]'",
        )
        return ()
    levels: list[Level] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(raw):
        place = f"levels[{i}]"
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, dict):
            chk.fail(place, "each level needs a 'label'")
            continue
        label = chk.text(item, "label", place)
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list):
            chk.fail(f"{place}.aliases", "'aliases' must be a list of text")
            aliases = []
        for name in [label, *map(str, aliases)]:
            key = name.strip().casefold()
            if key in seen and seen[key] != label:
                chk.fail(
                    place,
                    f"'{name}' also names level '{seen[key]}'; every label and alias must be unique",
                )
            seen[key] = label
        sections = chk.sections(item.get("sections"), f"{place}.sections")
        levels.append(Level(i + 1, label, tuple(str(a).strip() for a in aliases), sections))
    return tuple(levels)


def _groups(chk: _Checker, raw: Any) -> tuple[Group, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.fail("groups", "'groups' must be a list of {code, title}")
        return ()
    groups = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            chk.fail(f"groups[{i}]", "each group needs a 'code' and a 'title'")
            continue
        groups.append(
            Group(chk.text(item, "code", f"groups[{i}]"), chk.text(item, "title", f"groups[{i}]"))
        )
    return tuple(groups)


def _aspect(
    chk: _Checker, item: Any, place: str, levels: tuple[Level, ...], groups: set[str]
) -> Aspect | None:
    if not isinstance(item, dict):
        chk.fail(place, "each aspect needs 'code', 'title' and 'descriptors'")
        return None
    code = chk.text(item, "code", place)
    if code and re.search(r"\s", code):
        chk.fail(
            f"{place}.code", f"aspect code '{code}' contains a space; use a code without spaces"
        )
    title = chk.text(item, "title", place)
    group = chk.text(item, "group", place, required=False)
    if groups and group and group not in groups:
        chk.fail(
            f"{place}.group",
            f"group '{group}' is not one of the groups ({', '.join(sorted(groups))}); add it under 'groups'",
        )
    kind = chk.text(item, "kind", place, required=False) or "aspect"
    if kind not in KINDS:
        chk.fail(f"{place}.kind", f"kind '{kind}' is not known; use 'aspect' or 'summary'")
    raw = item.get("descriptors") or {}
    if not isinstance(raw, dict):
        chk.fail(f"{place}.descriptors", "'descriptors' must map each level label to {text: ...}")
        raw = {}
    by_label = {lv.label: lv for lv in levels}
    descriptors = []
    for label, body in raw.items():
        dplace = f"{place}.descriptors.{label}"
        level = by_label.get(str(label))
        if level is None:
            chk.fail(
                dplace,
                f"'{label}' is not a level of this framework; use one of: {', '.join(by_label)}",
            )
            continue
        if isinstance(body, str):
            body = {"text": body}
        if not isinstance(body, dict):
            chk.fail(dplace, "a descriptor needs 'text'")
            continue
        text = chk.text(body, "text", dplace)
        descriptors.append(
            Descriptor(
                level.rank, _clean(text), chk.sections(body.get("sections"), f"{dplace}.sections")
            )
        )
    if kind == "aspect":
        have = {d.rank for d in descriptors}
        missing = [lv.label for lv in levels if lv.rank not in have]
        if missing and levels:
            chk.fail(
                f"{place}.descriptors",
                f"aspect '{code}' has no descriptor for {', '.join(repr(m) for m in missing)}; add one for every level (or set kind: summary)",
            )
    return Aspect(code, title, group, kind, tuple(sorted(descriptors, key=lambda d: d.rank)))


def _aspects(
    chk: _Checker, raw: Any, levels: tuple[Level, ...], groups: tuple[Group, ...]
) -> tuple[Aspect, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(
            "aspects",
            "needs at least one aspect: 'aspects: [{code: ..., title: ..., descriptors: ...}]'",
        )
        return ()
    group_codes = {g.code for g in groups}
    aspects: list[Aspect] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        aspect = _aspect(chk, item, f"aspects[{i}]", levels, group_codes)
        if aspect is None:
            continue
        key = aspect.code.casefold()
        if key and key in seen:
            chk.fail(
                f"aspects[{i}].code",
                f"aspect code '{aspect.code}' is used twice (also aspects[{seen[key]}]); give each aspect its own code",
            )
        seen[key] = i
        aspects.append(aspect)
    return tuple(aspects)


def _previous_versions(chk: _Checker, raw: Any, codes: set[str]) -> tuple[VersionMap, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.fail("previous_versions", "'previous_versions' must be a list of {version, aspects}")
        return ()
    maps = []
    for i, item in enumerate(raw):
        place = f"previous_versions[{i}]"
        if not isinstance(item, dict):
            chk.fail(place, "each entry needs 'version' and 'aspects' (old code: new code)")
            continue
        version = chk.text(item, "version", place)
        mapping = item.get("aspects") or {}
        if not isinstance(mapping, dict):
            chk.fail(
                f"{place}.aspects",
                "'aspects' must map each old code to a new code (or ~ when it has none)",
            )
            continue
        clean: dict[str, str | None] = {}
        for old, new in mapping.items():
            if new is not None and str(new) not in codes:
                chk.fail(
                    f"{place}.aspects.{old}",
                    f"'{new}' is not an aspect code of this version; map '{old}' to one of its codes, or to ~ if it has no counterpart",
                )
            clean[str(old)] = None if new is None else str(new)
        maps.append(VersionMap(version, clean))
    return tuple(maps)


def _queries(chk: _Checker, raw: Any) -> QueryRules:
    if raw is None:
        return QueryRules()
    keys = ", ".join(QUERY_KEYS)
    if not isinstance(raw, dict):
        chk.fail(
            "queries",
            f"'queries' must map rule names ({keys}) to a number, or ~ to switch a rule off",
        )
        return QueryRules()
    values: dict[str, int | None] = {}
    for key, value in raw.items():
        place = f"queries.{key}"
        if key not in QUERY_KEYS:
            chk.fail(place, f"'{key}' is not a query rule; use one of: {keys}")
            continue
        if value is None or value is False:
            values[QUERY_KEYS[key]] = None
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            values[QUERY_KEYS[key]] = value
        else:
            chk.fail(
                place, f"'{key}' must be a whole number of at least 1, or ~ to switch the rule off"
            )
    return replace(QueryRules(), **values)


_RULE_KEYS = ("level", "count", "per", "aspects", "groups")


def _codes(
    chk: _Checker, rule: dict, key: str, place: str, known: dict[str, str], what: str
) -> tuple[str, ...]:
    """The codes a rule names, each checked: a typo must not make an award unreachable."""
    raw = rule.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        chk.fail(f"{place}.{key}", f"'{key}' must be a list of {what} codes")
        return ()
    out = []
    for i, code in enumerate(raw):
        real = known.get(str(code).casefold())
        if real is None:
            some = ", ".join(list(known.values())[:6]) + (", ..." if len(known) > 6 else "")
            chk.fail(
                f"{place}.{key}[{i}]",
                f"'{code}' is not {'an' if what[0] in 'aeiou' else 'a'} {what} code of this framework; name one of its {what}s ({some}) or remove it",
            )
            continue
        out.append(real)
    return tuple(out)


def _rule(
    chk: _Checker,
    raw: Any,
    place: str,
    levels: tuple[Level, ...],
    aspects: tuple[Aspect, ...],
    groups: tuple[Group, ...],
) -> AwardRule | None:
    if not isinstance(raw, dict):
        chk.fail(
            place,
            "a rule is a mapping such as '{level: Enhancing}' or '{level: Embedded, count: 3, per: group}'",
        )
        return None
    for key in raw:
        if key not in _RULE_KEYS:
            chk.fail(
                f"{place}.{key}", f"'{key}' is not part of a rule; use: {', '.join(_RULE_KEYS)}"
            )
    label = chk.text(raw, "level", place)
    by_label = {lv.label.casefold(): lv for lv in levels}
    level = by_label.get(label.casefold())
    if label and level is None:
        chk.fail(
            f"{place}.level",
            f"'{label}' is not a level of this framework; use one of: {', '.join(lv.label for lv in levels)}",
        )
    named = _codes(
        chk, raw, "aspects", place, {a.code.casefold(): a.code for a in aspects}, "aspect"
    )
    in_groups = _codes(
        chk, raw, "groups", place, {g.code.casefold(): g.code for g in groups}, "group"
    )
    per = raw.get("per")
    if per is not None and per != "group":
        chk.fail(f"{place}.per", f"'per: {per}' is not known; write 'per: group' or leave it out")
    rule = AwardRule(level.rank if level else 0, None, per == "group", named, in_groups)
    count = raw.get("count")
    if count is not None:
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            chk.fail(f"{place}.count", "'count' must be a whole number of at least 1")
            return None
        rule = replace(rule, count=count)
    scopes = rule_scopes(aspects, rule)
    if not scopes or not all(scopes.values()):
        chk.fail(place, "this rule covers no aspect of kind 'aspect'; name its aspects or groups")
        return None
    smallest = min(len(v) for v in scopes.values())
    if rule.count is not None and rule.count > smallest:
        chk.fail(
            f"{place}.count",
            f"count {rule.count} is more than the {smallest} aspect(s) the rule covers, so it could never hold; lower it",
        )
    return rule if level else None


def rule_scopes(aspects: Iterable[Aspect], rule: AwardRule) -> dict[str, list[str]]:
    """The aspect codes a rule counts, by group when it holds per group (else under "")."""
    if rule.aspects:
        chosen = [a for a in aspects if a.code in rule.aspects]
    else:
        chosen = [
            a for a in aspects if a.kind == "aspect" and (not rule.groups or a.group in rule.groups)
        ]
    scopes: dict[str, list[str]] = {}
    for a in chosen:
        scopes.setdefault(a.group if rule.per_group else "", []).append(a.code)
    return scopes


def _awards(
    chk: _Checker,
    raw: Any,
    levels: tuple[Level, ...],
    aspects: tuple[Aspect, ...],
    groups: tuple[Group, ...],
) -> tuple[Award, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        chk.fail("awards", "'awards' must be a list of {name, rules}, least demanding first")
        return ()
    out: list[Award] = []
    for i, item in enumerate(raw):
        place = f"awards[{i}]"
        if not isinstance(item, dict):
            chk.fail(place, "each award needs a 'name' and its 'rules'")
            continue
        name = chk.text(item, "name", place)
        if name and any(a.name.casefold() == name.casefold() for a in out):
            chk.fail(
                f"{place}.name", f"award '{name}' is listed twice; give each award its own name"
            )
        rules_raw = item.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            chk.fail(
                f"{place}.rules",
                "an award needs at least one rule, e.g. 'rules: [{level: Enhancing}]'",
            )
            continue
        rules = [
            _rule(chk, r, f"{place}.rules[{j}]", levels, aspects, groups)
            for j, r in enumerate(rules_raw)
        ]
        out.append(Award(name, tuple(r for r in rules if r is not None)))
    return tuple(out)


def _short_name(chk: _Checker, data: dict) -> str:
    short = chk.text(data, "short_name", "", required=False)
    if short and not _SHORT_RE.match(short):
        chk.fail(
            "short_name",
            f"short_name '{short}' must be 1 to {SHORT_NAME_MAX} letters, digits, spaces or "
            "hyphens (it names sheets of the summary workbook); for example 'short_name: SRF'",
        )
    return short


# Keys that change how a report is laid out or how returns are queried and awarded, not what a
# school reads: a new short name, threshold or award rule must not make every return already sent
# back look like it came from another version of the framework.
_NOT_HASHED = frozenset({"short_name", "queries", "awards", "award_notes"})


def _content_hash(data: Any) -> str:
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _NOT_HASHED}
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def parse_framework(text: str, name: str) -> Framework:
    """Check a definition's text; raise FrameworkError listing every problem, first one first."""
    data, marked = _parse(text, name)
    chk = _Checker(name, marked)
    if not isinstance(data, dict):
        raise FrameworkError(
            name, 1, "", "must be a mapping of keys (format, id, title, levels, aspects)"
        )
    if data.get("format", FORMAT) != FORMAT:
        chk.fail(
            "format", f"format {data.get('format')!r} is not supported; use 'format: {FORMAT}'"
        )
    fid = chk.text(data, "id", "")
    if fid and not _ID_RE.match(fid):
        chk.fail("id", f"id '{fid}' must be lower-case letters, digits and hyphens")
    levels = _levels(chk, data.get("levels"))
    groups = _groups(chk, data.get("groups"))
    aspects = _aspects(chk, data.get("aspects"), levels, groups)
    previous = _previous_versions(chk, data.get("previous_versions"), {a.code for a in aspects})
    notes = data.get("notes") or []
    award_notes = data.get("award_notes") or []
    fw = Framework(
        id=fid,
        title=chk.text(data, "title", ""),
        version=chk.text(data, "version", ""),
        levels=levels,
        aspects=aspects,
        groups=groups,
        publisher=chk.text(data, "publisher", "", required=False) or "not stated",
        source=chk.text(data, "source", "", required=False) or "not stated",
        source_file=chk.text(data, "source_file", "", required=False),
        licence=chk.text(data, "licence", "", required=False) or "not stated",
        attribution=chk.text(data, "attribution", "", required=False) or "not stated",
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (str(notes),),
        previous_versions=previous,
        queries=_queries(chk, data.get("queries")),
        awards=_awards(chk, data.get("awards"), levels, aspects, groups),
        award_notes=tuple(map(str, award_notes))
        if isinstance(award_notes, list)
        else (str(award_notes),),
        content_hash=_content_hash(data),
        path=name,
        short_name=_short_name(chk, data),
    )
    if chk.problems:
        first = chk.problems[0]
        first.others = chk.problems[1:]
        raise first
    return fw


def load_file(path: str | Path) -> Framework:
    """Load a user's own framework file."""
    path = Path(path)
    try:
        with path.open("rb") as fh:  # no more than the limit is read, whatever the file's size
            text = fh.read(MAX_YAML_BYTES + 1).decode("utf-8")
    except FileNotFoundError:
        raise FrameworkError(str(path), None, "", "does not exist; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(
            str(path), None, "", f"cannot be read ({exc}); save it as UTF-8 text"
        ) from None
    return parse_framework(text, str(path))


_BUILTIN_CACHE: dict[str, Framework] = {}


def builtin_ids() -> list[str]:
    files = resources.files("sheetreview") / "frameworks"
    return sorted(p.name[: -len(".yaml")] for p in files.iterdir() if p.name.endswith(".yaml"))


def builtin(framework_id: str) -> Framework:
    """A built-in framework by id; the package's definitions are trusted but still checked."""
    if framework_id not in _BUILTIN_CACHE:
        if framework_id not in builtin_ids():
            known = ", ".join(builtin_ids())
            raise FrameworkError(
                framework_id,
                None,
                "",
                f"is not a built-in framework; choose one of: {known}, or pass --framework-file PATH",
            )
        res = resources.files("sheetreview") / "frameworks" / f"{framework_id}.yaml"
        _BUILTIN_CACHE[framework_id] = parse_framework(
            res.read_text(encoding="utf-8"), f"{framework_id}.yaml"
        )
    return _BUILTIN_CACHE[framework_id]


def all_builtin() -> list[Framework]:
    return [builtin(i) for i in builtin_ids()]


class Registry(dict[str, Framework]):
    """Every framework a run knows, by id (its newest version), and every version given."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[tuple[str, str], Framework] = {}

    def add(self, fw: Framework, replaces_builtin: bool = False) -> None:
        self.versions[(fw.id, fw.version)] = fw
        current = self.get(fw.id)
        if (
            current is None
            or replaces_builtin
            or _version_key(fw.version) >= _version_key(current.version)
        ):
            self[fw.id] = fw


def _version_key(version: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-]", version)]


def registry(framework_files: Iterable[str | Path] = ()) -> Registry:
    """The built-in frameworks, then the user's files: a file replaces a built-in of the same id,
    and of several files with one id the newest version is current (the others read old returns)."""
    known = Registry()
    for fw in all_builtin():
        known.add(fw)
    seen_files: set[str] = set()
    for path in framework_files:
        fw = load_file(path)
        known.add(fw, replaces_builtin=fw.id not in seen_files)
        seen_files.add(fw.id)
    return known


def framework_for(frameworks: Mapping[str, Framework], fid: str, version: str | None) -> Framework:
    """The definition to read a return made under `version` of framework `fid` with: that very
    version when it was given, else the current one read through its version map."""
    current = frameworks[fid]
    if not version or version == current.version:
        return current
    versions = getattr(frameworks, "versions", {})
    if (fid, version) in versions:
        return versions[(fid, version)]
    return current.as_version(version) or current


def resolve(framework_id: str | None, framework_file: str | Path | None = None) -> Framework:
    """The framework a command names: a file wins over an id."""
    if framework_file:
        return load_file(framework_file)
    if not framework_id:
        raise FrameworkError(
            "",
            None,
            "",
            "no framework given; name one (see 'sheetreview frameworks') or pass --framework-file PATH",
        )
    return builtin(framework_id)


if __name__ == "__main__":  # a quick check for people writing definitions
    status = 0
    for arg in sys.argv[1:]:
        try:
            fw = load_file(arg)
            print(
                f"{arg}: ok: {fw.id} {fw.version}, {len(fw.levels)} levels, {len(fw.aspects)} aspects"
            )
        except FrameworkError as exc:
            status = 1
            for problem in [exc, *exc.others]:
                print(problem)
    sys.exit(status)


def from_dict(data: dict[str, Any]) -> Framework:
    """Rebuild a Framework from `Framework.to_dict()` (as saved in an ingest OUT/frameworks/)."""
    return Framework(
        id=data["id"],
        title=data["title"],
        version=data["version"],
        levels=tuple(
            Level(
                lv["rank"], lv["label"], tuple(lv.get("aliases", ())), dict(lv.get("sections", {}))
            )
            for lv in data["levels"]
        ),
        aspects=tuple(
            Aspect(
                a["code"],
                a["title"],
                a.get("group", ""),
                a.get("kind", "aspect"),
                tuple(
                    Descriptor(d["rank"], d["text"], dict(d.get("sections", {})))
                    for d in a.get("descriptors", ())
                ),
            )
            for a in data["aspects"]
        ),
        groups=tuple(Group(g["code"], g["title"]) for g in data.get("groups", ())),
        publisher=data.get("publisher", "not stated"),
        source=data.get("source", "not stated"),
        source_file=data.get("source_file", ""),
        licence=data.get("licence", "not stated"),
        attribution=data.get("attribution", "not stated"),
        notes=tuple(data.get("notes", ())),
        previous_versions=tuple(
            VersionMap(str(v["version"]), dict(v.get("aspects", {})))
            for v in data.get("previous_versions", ())
        ),
        content_hash=data.get("content_hash", ""),
        short_name=data.get("short_name", ""),
        queries=_queries_from(data.get("queries")),
        awards=tuple(_award_from(data, a) for a in data.get("awards", ())),
        award_notes=tuple(data.get("award_notes", ())),
    )


def _queries_from(raw: dict[str, Any] | None) -> QueryRules:
    if not raw:
        return QueryRules()
    return replace(QueryRules(), **{QUERY_KEYS[k]: v for k, v in raw.items() if k in QUERY_KEYS})


def _award_from(data: dict[str, Any], raw: dict[str, Any]) -> Award:
    ranks = {lv["label"]: lv["rank"] for lv in data["levels"]}
    return Award(
        raw["name"],
        tuple(
            AwardRule(
                ranks[r["level"]],
                r.get("count"),
                r.get("per") == "group",
                tuple(r.get("aspects", ())),
                tuple(r.get("groups", ())),
            )
            for r in raw["rules"]
        ),
    )
