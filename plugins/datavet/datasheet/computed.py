"""The computed sections, filled from the version's profile and the published form of its check report
(the names in ``observed`` are metrics.md's). Nothing here is typed by a person and nothing here
decides what is withheld: the figures come from datavet.privacy's one decision for the report, so
the datasheet withholds exactly what ``datavet check --json`` and the metrics withhold.

Each check type adds its own section (``CheckType.computed``, in the registry's ``sections()`` order)
through a :class:`Sheet`, which holds the published report only; the helpers below are what those
hooks share (published values as figures, one figure per subject)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from datavet.checks.base import CheckType
from datavet.checks.limits import SourcedReference
from datavet.checks.representation import NAME as REPRESENTATION
from datavet.datasheet.models import (
    CellRate,
    CheckOutcome,
    ColumnInfo,
    Computed,
    Count,
    FilesFigure,
    GroupRate,
    GroupShare,
    ImageSize,
    LabelFigure,
    ReferenceInfo,
    TimeRange,
    Validation,
    WithheldCell,
)
from datavet.datasheet.profile import DataProfile
from datavet.figures.outcome import Violation
from datavet.privacy.masking import ValueMasker, mask_values, publish_count, publish_share
from datavet.privacy.publish import publish_extra
from datavet.privacy.rule import COMPLEMENTARY, is_count
from datavet.recode import describe, rules_of
from datavet.report import CheckReport, CheckResult
from datavet.spec import DatasetSpec, LoadedSpec


def num(value: Any) -> float | None:
    """A published figure as a float (null stays null)."""
    return None if value is None else float(value)


def interval_of(value: Any) -> list[float] | None:
    """A published [low, high] as floats; anything else (withheld, absent) as null."""
    return [float(value[0]), float(value[1])] if isinstance(value, (list, tuple)) and len(value) == 2 else None


def unique(results: Iterable[CheckResult], key: Callable[[CheckResult], Any]) -> list[CheckResult]:
    """Several checks (an error and a warning) may observe the same figures; publish them once,
    preferring the one that compared against a reference."""
    chosen: dict[Any, CheckResult] = {}
    for r in results:
        k = key(r)
        has_ref = bool(r.observed.get("reference_shares"))
        if k not in chosen or (has_ref and not chosen[k].observed.get("reference_shares")):
            chosen[k] = r
    return list(chosen.values())


def sizes(value: Any) -> dict[str, Any]:
    """A figure's {group: rows} with string keys ({} when the figure gives none)."""
    return {str(k): n for k, n in value.items()} if isinstance(value, dict) else {}


def pairs(value: Any) -> list[tuple[str, Any]]:
    """{value: n} or [{value:, count:}] or [[value, n]] -> [(value, n)]; n as published (a number, or
    "<k" / "withheld")."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    out = []
    for item in value or []:
        if isinstance(item, dict):
            name = item.get("value", item.get("cell", item.get("group")))
            out.append((str(name), item.get("count", 0)))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0]), item[1]))
    return out


def class_names(values: dict[str, Any] | None) -> list[str] | None:
    """The names of codes 0..n-1 when a values map names exactly those (what a ClassLabel holds)."""
    if not values or sorted(values) != sorted(str(i) for i in range(len(values))):
        return None
    names = [str(values[str(i)]) for i in range(len(values))]
    return names if len(set(names)) == len(names) else None  # two codes, one group: no ClassLabel


def _shown(count: Count) -> int | str | None:
    """A published Count back as the report's value (a number, "<k" or "withheld")."""
    return count.value if count.value is not None else (count.display if count.suppressed else None)


def n_of(value: Any) -> int:
    """A published count as a sort key (a withheld count sorts as 0)."""
    return value if is_count(value) else 0


class Sheet:
    """What a check type's ``computed`` hook works with: the spec, the threshold, the report in its
    published form and the helpers that label and order published figures. It holds nothing exact (no
    exact report, no data profile): a check's section can only show what datavet.privacy published."""

    def __init__(self, loaded: LoadedSpec, published: CheckReport, mask: ValueMasker) -> None:
        self.spec = loaded.spec
        self.t = loaded.spec.small_cell_threshold
        self.report = published
        self.mask = mask
        # a binned column's groups keep the bands' order (lowest first), not the order of their counts
        self.bands = {c: {name: i for i, name in enumerate(rule["labels"])}
                      for c, rule in rules_of(loaded.spec).items() if "bins" in rule}

    def in_order(self, by: str | list[str], items: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """(group, figure) pairs of one attribute: a binned attribute's in band order, others as given."""
        items = list(items)
        bands = self.bands.get(by) if isinstance(by, str) else None
        return sorted(items, key=lambda kv: bands.get(str(kv[0]), len(bands))) if bands else items

    def reference_of(self, entries: Iterable[Any], column: str, shares: dict[str, Any]) -> ReferenceInfo | None:
        """The provenance of the spec's reference that a result of ``column`` was compared with (the
        entry whose groups the result's reference shares name; else the column's first with one)."""
        from datavet.references import provenance

        candidates = [e.reference for e in entries if e.column == column and e.reference is not None]
        if not candidates or not shares:
            return None
        def groups(ref: Any) -> set[str]:
            table = ref.shares if isinstance(ref, SourcedReference) else ref
            return {str(k) for k in table} if isinstance(table, dict) else set()
        chosen = next((r for r in candidates if groups(r) == set(shares)), candidates[0])
        info = provenance(chosen)
        return None if info is None else ReferenceInfo(**info)

    def of(self, check: str) -> list[CheckResult]:
        """The check's results on the whole version (a split's results are in the report, and in C8)."""
        return [r for r in self.report.checks if r.check == check and r.split is None]

    def rate(self, by: str | list[str], group: str, rate: Any, sizes: dict[str, Any],
             intervals: dict[str, Any] | None = None) -> GroupRate:
        """A group's rate (and its interval) as the published report has it: null when withheld (or, for
        a group with no rows, undefined)."""
        withheld = rate is None and sizes.get(group) != 0
        interval = None if rate is None else interval_of((intervals or {}).get(group))
        return GroupRate(group=self.group(by, group), rate=num(rate), withheld=withheld, interval=interval)

    def group(self, by: str | list[str], group: str) -> str:
        """A group's label: a combination of several attributes is masked part by part."""
        if isinstance(by, str):
            return self.mask.label(by, group)
        return group if group == "<missing>" else self.mask.combo(list(by), group)

    def cell(self, by: str | list[str], record: Any) -> CellRate | None:
        """A best/worst cell record ({cell, rate, rows}) as published."""
        if not isinstance(record, dict) or not by or isinstance(by, str):
            return None
        rows, cell = record.get("rows"), str(record.get("cell"))
        base = self.rate(by, cell, record.get("rate"), {cell: rows})
        return CellRate(**base.model_dump(), rows=publish_count(rows, self.t))

    def shares(self, column: str, counts: dict[str, Any], shares: dict[str, Any],
               reference: dict[str, Any] | None = None,
               ratios: dict[str, Any] | None = None, intervals: dict[str, Any] | None = None) -> list[GroupShare]:
        """Groups largest first (a binned column's bands lowest first); reference groups absent from the
        data are listed with count 0."""
        reference, ratios, intervals = reference or {}, ratios or {}, intervals or {}
        groups = list(counts) + [g for g in reference if g not in counts]
        bands = self.bands.get(column)
        groups.sort(key=(lambda g: (bands.get(str(g), len(bands)), str(g))) if bands else
                    (lambda g: (-n_of(counts.get(g, 0)), str(g))))
        return [GroupShare(group=self.mask.label(column, g), count=publish_count(counts.get(g, 0), self.t),
                           share=publish_share(counts.get(g, 0),
                                               shares.get(g, 0.0 if g in reference else None), self.t),
                           reference_share=num(reference.get(g)),
                           ratio=None if not is_count(counts.get(g, 0)) else num(ratios.get(g)),
                           interval=None if not is_count(counts.get(g, 0)) else interval_of(intervals.get(g)))
                for g in groups]

    def validation(self) -> Validation:
        r = self.report
        return Validation(result_id=r.validation_result_id, suite_name=r.suite_name, suite_hash=r.suite_hash,
                          engine=r.engine, success=r.success, checks=[self.outcome(c) for c in r.checks])

    def outcome(self, r: CheckResult) -> CheckOutcome:
        status = "passed" if r.success else ("failed" if r.severity == "error" else "warned")
        # the published violations, worded with the sections' labels for their groups (no text is parsed)
        texts = [self._labelled(r, Violation.from_json(v)).render() for v in r.violations]
        texts += r.failures[len(r.violations):]
        failures = [mask_values(t, self.mask) for t in texts]
        return CheckOutcome(check=r.check, subject=r.subject, severity=r.severity, status=status,
                            failures=failures, limits=dict(r.thresholds))

    def _labelled(self, r: CheckResult, v: Violation) -> Violation:
        """A violation whose group is a private column's ``group-k`` (or an intersection key), labelled
        as the sections label it ("<column> group k"; intersection keys part by part)."""
        from datavet.checks.registry import CHECKS

        check = CHECKS.get(r.check, CheckType())
        columns = [c for c in check.group_columns(r) if c]
        if v.group is None or not self.mask.is_private(*columns):
            return v
        group = self.mask.combo(columns, v.group) if len(columns) > 1 else self.mask.label(columns[0], v.group)
        return replace(v, group=group)


def columns_of(spec: DatasetSpec, profile: DataProfile) -> list[ColumnInfo]:
    """C4 per column, from the profile and the spec (the checks add their figures, C6 among them)."""
    rules = rules_of(spec)
    return [ColumnInfo(name=name, type=typ, role=col.role if col else None,
                       description=col.description if col else None,
                       recoded=describe(rules[name], name in spec.private_columns) if name in rules else None,
                       class_names=None if name in spec.private_columns or "INT" not in typ.upper()
                       else class_names(rules.get(name, {}).get("values")))
            for name, typ in profile.column_types.items() for col in [spec.columns.get(name)]]


def label_classes(sheet: Sheet, profile: DataProfile, label: LabelFigure, missing: Count | None,
                  publish: Callable[[CheckResult], CheckResult | None]) -> list[GroupShare]:
    """C5, the label's classes: a table the check report does not hold, published under the report's own
    decision (its small classes withheld; every class withheld when the audit finds that the table
    would give back a cell the report withheld). ``<missing>`` is the column's published missing count
    (the missingness check's; withheld when there is none)."""
    col, tokens = label.column, set(sheet.spec.missing_tokens)
    counts: dict[str, int] = {}
    names = sheet.spec.columns[col].values or {}  # a recoded label's classes are its groups' names
    for value, n in profile.label_counts.get(col, {}).items():
        key = "<missing>" if value.strip() in tokens else names.get(value.strip(), value)
        counts[key] = counts.get(key, 0) + n
    known = {v: n for v, n in counts.items() if v != "<missing>"}
    total = sum(known.values())
    shares_of = {v: (n / total if total else None) for v, n in known.items()}
    # declared as a representation table is: counts and shares of one column's groups
    table = CheckResult(check=REPRESENTATION, column=col, severity="warning", success=True,
                        observed={"non_missing": total, "counts": known, "shares": shares_of})
    published = publish(table)
    if published is None:
        shown: dict[str, Any] = dict.fromkeys(known, COMPLEMENTARY)
        shares: dict[str, Any] = {}
    else:
        shown, shares = dict(published.observed["counts"]), dict(published.observed["shares"])
    if "<missing>" in counts:
        shown["<missing>"] = COMPLEMENTARY if missing is None else _shown(missing)
    return sheet.shares(col, shown, shares)


def published_sheet(loaded: LoadedSpec, report: CheckReport) -> Sheet:
    """The sheet of ``report``'s published form (the one decision every document carries). The exact
    report is read here only to number a private column's groups (``CheckType.numbers_groups``) before
    anything is published."""
    from datavet.checks.registry import sections

    mask = ValueMasker(loaded.spec.private_columns)
    numbering = {check.name for check in sections() if check.numbers_groups}
    for r in report.checks:  # learn masks before anything is published
        if r.check in numbering and r.column:
            mask.learn(r.column, {str(k): v for k, v in (r.observed.get("counts") or {}).items()})
    return Sheet(loaded, report.published(loaded.spec.small_cell_threshold), mask)


def build_sections(loaded: LoadedSpec, report: CheckReport,
                   profile: DataProfile) -> tuple[Computed, Validation]:
    """Every computed section and the check outcomes, privacy rules applied. Each check type adds its
    section (``CheckType.computed``, in ``datavet.checks.registry.sections()`` order) from its published
    results alone; besides the numbering of private groups, the exact ``report`` serves only to publish
    the label's classes under the report's own decision (``publish_extra``)."""
    from datavet.checks.registry import sections

    t = loaded.spec.small_cell_threshold
    sheet = published_sheet(loaded, report)
    labels = loaded.spec.columns_with_role("label")
    computed = Computed(
        rows=profile.rows, columns=columns_of(loaded.spec, profile),
        label=LabelFigure(column=labels[0], positive=loaded.spec.columns[labels[0]].positive) if labels else None,
        duplicate_rows=publish_count(profile.duplicate_rows, t),
        duplicate_rows_without_identifying=(None if profile.duplicate_rows_without_identifying is None else
                                            publish_count(profile.duplicate_rows_without_identifying, t)),
        time_ranges=[TimeRange(column=c, min=lo, max=hi) for c, (lo, hi) in profile.time_ranges.items()])
    for check in sections():
        check.computed(sheet.of(check.name), sheet, computed)
    from datavet.datasheet.splits import split_figures

    computed.splits = split_figures(sheet)
    if computed.label is not None:
        missing = next((c.missing for c in computed.columns if c.name == computed.label.column), None)
        computed.label.classes = label_classes(sheet, profile, computed.label, missing,
                                               lambda table: publish_extra(report, t, table))
    computed.withheld = [WithheldCell(**{**w, "cell": mask_values(w["cell"], sheet.mask)})
                         for w in sheet.report.withheld_cells]
    return computed, sheet.validation()


TOP_IMAGE_SIZES = 10


def files_figure(integrity: dict[str, Any]) -> FilesFigure:
    """The composition and integrity of a tree of files, from the counts its version carries (file
    counts only: paths, samples and content stay out of the datasheet)."""
    sizes = dict(integrity.get("image_sizes") or {})
    top = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_IMAGE_SIZES]
    return FilesFigure(
        files=integrity["files"], bytes=integrity["bytes"], formats=dict(integrity.get("formats") or {}),
        image_sizes=[ImageSize(size=k, files=v) for k, v in top], distinct_image_sizes=len(sizes),
        manifest_rows=integrity.get("manifest_rows"),
        missing_files=integrity.get("missing_files") if integrity.get("manifest_rows") is not None else None,
        unlisted_files=integrity.get("unlisted_files") if integrity.get("manifest_rows") is not None else None,
        unreadable_files=integrity["unreadable_files"], duplicate_files=integrity["duplicate_files"])
