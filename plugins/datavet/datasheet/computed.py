"""The computed sections, filled from the version's profile and the published form of its check report
(the names in ``observed`` are metrics.md's). Nothing here is typed by a person and nothing here
decides what is withheld: the figures come from datavet.privacy's one decision for the report, so
the datasheet withholds exactly what ``datavet check --json`` and the metrics withhold."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from datavet.checks.cells import by_columns, by_text
from datavet.checks.geography import NAME as GEOGRAPHY
from datavet.checks.intersectional import NAME as INTERSECTIONAL
from datavet.checks.label_balance import NAME as LABEL_BALANCE
from datavet.checks.limits import SourcedReference
from datavet.checks.missingness import NAME as MISSINGNESS
from datavet.checks.missingness_parity import NAME as MISSINGNESS_PARITY
from datavet.checks.proxy import NAME as PROXY
from datavet.checks.representation import NAME as REPRESENTATION
from datavet.datasheet.models import (
    CellRate,
    CheckOutcome,
    ColumnInfo,
    Computed,
    FilesFigure,
    GeographyFigure,
    GroupRate,
    GroupShare,
    ImageSize,
    IntersectionCell,
    IntersectionFigure,
    LabelBalance,
    LabelFigure,
    ParityFigure,
    ProxyFigure,
    ReferenceInfo,
    RepresentationFigure,
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
from datavet.spec import LoadedSpec


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _interval(value: Any) -> list[float] | None:
    return [float(value[0]), float(value[1])] if isinstance(value, (list, tuple)) and len(value) == 2 else None


def _unique(results: Iterable[CheckResult], key) -> list[CheckResult]:
    """Several checks (an error and a warning) may observe the same figures; publish them once,
    preferring the one that compared against a reference."""
    chosen: dict[Any, CheckResult] = {}
    for r in results:
        k = key(r)
        has_ref = bool(r.observed.get("reference_shares"))
        if k not in chosen or (has_ref and not chosen[k].observed.get("reference_shares")):
            chosen[k] = r
    return list(chosen.values())


def _sizes(value: Any) -> dict[str, Any]:
    """A figure's {group: rows} with string keys ({} when the figure gives none)."""
    return {str(k): n for k, n in value.items()} if isinstance(value, dict) else {}


def _pairs(value: Any) -> list[tuple[str, Any]]:
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


def _n(value: Any) -> int:
    """A published count as a sort key (a withheld count sorts as 0)."""
    return value if is_count(value) else 0


class SectionBuilder:
    def __init__(self, loaded: LoadedSpec, report: CheckReport, profile: DataProfile) -> None:
        self.spec = loaded.spec
        self.t = loaded.spec.small_cell_threshold
        self.exact = report
        self.report = report.published(self.t)  # the one decision every document carries
        self.profile = profile
        self.mask = ValueMasker(loaded.spec.private_columns)
        # a binned column's groups keep the bands' order (lowest first), not the order of their counts
        self.bands = {c: {name: i for i, name in enumerate(rule["labels"])}
                      for c, rule in rules_of(loaded.spec).items() if "bins" in rule}
        for r in report.checks:  # learn masks before anything is published
            if r.check == REPRESENTATION and r.column:
                self.mask.learn(r.column, {str(k): v for k, v in (r.observed.get("counts") or {}).items()})

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
        return [r for r in self.report.checks if r.check == check]

    def rate(self, by: str | list[str], group: str, rate: Any, sizes: dict[str, Any],
             intervals: dict[str, Any] | None = None) -> GroupRate:
        """A group's rate (and its interval) as the published report has it: null when withheld (or, for
        a group with no rows, undefined)."""
        withheld = rate is None and sizes.get(group) != 0
        interval = None if rate is None else _interval((intervals or {}).get(group))
        return GroupRate(group=self.group(by, group), rate=_num(rate), withheld=withheld, interval=interval)

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

    def columns(self) -> tuple[list[ColumnInfo], int | str | None]:
        """C4 and C6 per column; also the total of missing cells (None when nothing was checked)."""
        missing = {r.column: r for r in self.of(MISSINGNESS) if r.column}
        out: list[ColumnInfo] = []
        total: int | str = 0
        rules = rules_of(self.spec)
        for name, typ in self.profile.column_types.items():
            col = self.spec.columns.get(name)
            info = ColumnInfo(name=name, type=typ, role=col.role if col else None,
                              description=col.description if col else None,
                              recoded=describe(rules[name], name in self.spec.private_columns)
                              if name in rules else None,
                              class_names=None if name in self.spec.private_columns or "INT" not in typ.upper()
                              else class_names(rules.get(name, {}).get("values")))
            r = missing.get(name)
            if r is not None:
                n = r.observed.get("missing_count", 0)
                # the total would give a withheld column's count back: withheld with it
                total = total + n if is_count(n) and is_count(total) else COMPLEMENTARY
                info.missing = publish_count(n, self.t)
                info.missing_rate = publish_share(n, r.observed.get("missing_rate"), self.t)
                info.missing_tokens = {tok: publish_count(k, self.t)
                                       for tok, k in _pairs(r.observed.get("token_counts") or {})}
            out.append(info)
        return out, (total if missing else None)

    def parity(self) -> list[ParityFigure]:
        out = []
        for r in _unique(self.of(MISSINGNESS_PARITY), lambda r: (r.column, json.dumps(r.by))):
            o, by = r.observed, r.by or ""
            sizes = _sizes(o.get("group_rows"))
            out.append(ParityFigure(
                column=r.column or "", by=by_text(by),
                groups=[self.rate(by, str(g), v, sizes)
                        for g, v in self.in_order(by, (o.get("group_missing_rate") or {}).items())],
                max_rate=_num(o.get("max_rate")), min_rate=_num(o.get("min_rate")),
                max_diff=_num(o.get("max_diff")), max_ratio=_num(o.get("max_ratio")),
                best_cell=self.cell(by, o.get("best_cell")), worst_cell=self.cell(by, o.get("worst_cell"))))
        return out

    def shares(self, column: str, counts: dict[str, Any], shares: dict[str, Any],
               reference: dict[str, Any] | None = None,
               ratios: dict[str, Any] | None = None, intervals: dict[str, Any] | None = None) -> list[GroupShare]:
        """Groups largest first (a binned column's bands lowest first); reference groups absent from the
        data are listed with count 0."""
        reference, ratios, intervals = reference or {}, ratios or {}, intervals or {}
        groups = list(counts) + [g for g in reference if g not in counts]
        bands = self.bands.get(column)
        groups.sort(key=(lambda g: (bands.get(str(g), len(bands)), str(g))) if bands else
                    (lambda g: (-_n(counts.get(g, 0)), str(g))))
        return [GroupShare(group=self.mask.label(column, g), count=publish_count(counts.get(g, 0), self.t),
                           share=publish_share(counts.get(g, 0),
                                               shares.get(g, 0.0 if g in reference else None), self.t),
                           reference_share=_num(reference.get(g)),
                           ratio=None if not is_count(counts.get(g, 0)) else _num(ratios.get(g)),
                           interval=None if not is_count(counts.get(g, 0)) else _interval(intervals.get(g)))
                for g in groups]

    def representation(self) -> list[RepresentationFigure]:
        out = []
        key = lambda r: (r.column, json.dumps(r.observed.get("reference_shares") or {}, sort_keys=True))  # noqa: E731
        for r in _unique(self.of(REPRESENTATION), key):
            o, col = r.observed, r.column or ""
            counts = {str(k): v for k, v in (o.get("counts") or {}).items()}
            ref = {str(k): v for k, v in (o.get("reference_shares") or {}).items()}
            out.append(RepresentationFigure(
                column=col, non_missing=publish_count(o.get("non_missing"), self.t),
                groups=self.shares(col, counts, {str(k): v for k, v in (o.get("shares") or {}).items()}, ref,
                                   {str(k): v for k, v in (o.get("ratios") or {}).items()},
                                   {str(k): v for k, v in (o.get("share_intervals") or {}).items()}),
                tvd=_num(o.get("tvd")), chi2_pvalue=_num(o.get("chi2_pvalue")),
                absent_groups=[self.mask.label(col, g) for g in o.get("absent_groups") or []],
                unexpected_groups=[self.mask.label(col, g) for g in o.get("unexpected_groups") or []],
                has_reference=bool(ref), confidence=_num(o.get("confidence")),
                reference=self.reference_of(self.spec.checks.representation, col, ref)))
        # drop a reference-less figure when the same column also has one with a reference
        with_ref = {f.column for f in out if f.has_reference}
        return [f for f in out if f.has_reference or f.column not in with_ref]

    def intersections(self) -> list[IntersectionFigure]:
        out = []
        for r in _unique(self.of(INTERSECTIONAL), lambda r: tuple(r.columns or ())):
            cols = list(r.columns or [])
            cells = sorted(_pairs(r.observed.get("cell_counts") or {}), key=lambda kv: (-_n(kv[1]), kv[0]))
            empty = ["|".join(map(str, e)) if isinstance(e, (list, tuple)) else str(e)
                     for e in r.observed.get("empty_cells") or []]
            out.append(IntersectionFigure(
                columns=cols,
                cells=[IntersectionCell(cell=self.mask.combo(cols, k), count=publish_count(n, self.t))
                       for k, n in cells],
                empty_cells=[self.mask.combo(cols, e) for e in empty]))
        return out

    def geography(self) -> list[GeographyFigure]:
        out = []
        for r in _unique(self.of(GEOGRAPHY), lambda r: r.column):
            o, col = r.observed, r.column or ""
            counts = {str(k): v for k, v in (o.get("counts") or {}).items()}
            ref = {str(k): v for k, v in (o.get("reference_shares") or {}).items()}
            # reference-only countries are many (every country on earth): list only observed ones
            countries = self.shares(col, counts, {str(k): v for k, v in (o.get("shares") or {}).items()},
                                    {k: v for k, v in ref.items() if k in counts},
                                    {str(k): v for k, v in (o.get("ratios") or {}).items()})
            unresolved = dict(_pairs(o.get("unresolved_values") or {}))
            non_missing = o.get("non_missing")  # a share of a withheld count, or of a withheld total, is withheld
            out.append(GeographyFigure(
                column=col, resolved_share=_num(o.get("resolved_share")),
                unresolved=self.shares(col, unresolved, {k: v / non_missing for k, v in unresolved.items()
                                                         if is_count(v)} if is_count(non_missing) and non_missing
                                       else {}),
                countries=countries, distinct_countries=o.get("distinct_countries"),
                top1_country=o.get("top1_country"), top1_share=_num(o.get("top1_share")),
                top5_share=_num(o.get("top5_share")), hhi=_num(o.get("hhi")),
                effective_countries=_num(o.get("effective_countries")),
                regions=self.regions(o),
                tvd=_num(o.get("tvd")),
                underrepresented=[str(u.get("country", u)) if isinstance(u, dict) else str(u)
                                  for u in o.get("underrepresented") or []],
                has_reference=bool(ref), reference=self.reference_of(self.spec.checks.geography, col, ref)))
        return out

    def regions(self, o: dict[str, Any]) -> list[GroupRate]:
        """Shares by region, withheld for a region with fewer rows than the threshold (or of unknown size)."""
        counts = o.get("region_counts") if isinstance(o.get("region_counts"), dict) else {}
        out = []
        for g, v in sorted((o.get("region_shares") or {}).items(), key=lambda kv: -(kv[1] or 0)):
            withheld = v is None or not is_count(counts.get(g))
            out.append(GroupRate(group=str(g), rate=None if withheld else _num(v), withheld=withheld))
        return out

    def label(self) -> LabelFigure | None:
        labels = self.spec.columns_with_role("label")
        if not labels:
            return None
        col = labels[0]
        tokens = set(self.spec.missing_tokens)
        counts: dict[str, int] = {}
        names = self.spec.columns[col].values or {}  # a recoded label's classes are its groups' names
        for value, n in self.profile.label_counts.get(col, {}).items():
            key = "<missing>" if value.strip() in tokens else names.get(value.strip(), value)
            counts[key] = counts.get(key, 0) + n
        classes = self.label_classes(col, counts)
        balance = []
        for r in _unique(self.of(LABEL_BALANCE), lambda r: (r.column, json.dumps(r.by))):
            if r.column not in (None, col):
                continue
            by, sizes = r.by or "", _sizes(r.observed.get("rows"))
            intervals = _sizes(r.observed.get("rate_intervals"))
            balance.append(LabelBalance(
                by=by_text(by), positive_rates=[self.rate(by, str(g), v, sizes, intervals) for g, v in
                                                self.in_order(by, (r.observed.get("positive_rates") or {}).items())],
                disparate_impact=_num(r.observed.get("disparate_impact")),
                parity_difference=_num(r.observed.get("parity_difference")),
                confidence=_num(r.observed.get("confidence")),
                disparate_impact_interval=_interval(r.observed.get("disparate_impact_interval")),
                best_cell=self.cell(by, r.observed.get("best_cell")),
                worst_cell=self.cell(by, r.observed.get("worst_cell"))))
        return LabelFigure(column=col, positive=self.spec.columns[col].positive, classes=classes, balance=balance)

    def label_classes(self, col: str, counts: dict[str, int]) -> list[GroupShare]:
        """The label's classes: a table the check report does not hold, published under the report's own
        decision (its small classes withheld; every class withheld when the audit finds that the table
        would give back a cell the report withheld). ``<missing>`` is the missingness check's count."""
        known = {v: n for v, n in counts.items() if v != "<missing>"}
        total = sum(known.values())
        shares_of = {v: (n / total if total else None) for v, n in known.items()}
        table = CheckResult(check=REPRESENTATION, column=col, severity="warning", success=True,
                            observed={"non_missing": total, "counts": known, "shares": shares_of})
        published = publish_extra(self.exact, self.t, table)
        if published is None:
            shown: dict[str, Any] = dict.fromkeys(known, COMPLEMENTARY)
            shares: dict[str, Any] = {}
        else:
            shown, shares = dict(published.observed["counts"]), dict(published.observed["shares"])
        if "<missing>" in counts:
            missing = next((r.observed.get("missing_count") for r in self.of(MISSINGNESS) if r.column == col),
                           COMPLEMENTARY)
            shown["<missing>"] = missing
        return self.shares(col, shown, shares)


    def proxies(self) -> list[ProxyFigure]:
        """Cramér's V per column as published (a column compared on a small number of rows withheld)."""
        out = []
        for r in _unique(self.of(PROXY), lambda r: r.column):
            rows = _sizes(r.observed.get("rows"))
            out.append(ProxyFigure(
                protected=r.column or "", limit=_num(r.thresholds.get("max_cramers_v")),
                columns=[self.rate("", str(c), v, rows) for c, v in (r.observed.get("cramers_v") or {}).items()],
                above_limit=[str(c) for c in r.observed.get("above_limit") or []]))
        return out

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
        columns = list(r.columns or []) or [c for c in (by_columns(r.by) if r.by and r.check in (
            MISSINGNESS_PARITY, LABEL_BALANCE) else [r.column]) if c]
        if v.group is None or not self.mask.is_private(*columns):
            return v
        group = self.mask.combo(columns, v.group) if len(columns) > 1 else self.mask.label(columns[0], v.group)
        return replace(v, group=group)


def build_sections(loaded: LoadedSpec, report: CheckReport,
                   profile: DataProfile) -> tuple[Computed, Validation]:
    """Every computed section and the check outcomes, privacy rules applied."""
    b = SectionBuilder(loaded, report, profile)
    columns, missing_cells = b.columns()
    computed = Computed(
        rows=profile.rows, columns=columns, label=b.label(), parity=b.parity(),
        missing_cells=None if missing_cells is None else publish_count(missing_cells, b.t),
        duplicate_rows=publish_count(profile.duplicate_rows, b.t), representation=b.representation(),
        duplicate_rows_without_identifying=(None if profile.duplicate_rows_without_identifying is None else
                                            publish_count(profile.duplicate_rows_without_identifying, b.t)),
        intersections=b.intersections(), geography=b.geography(), proxies=b.proxies(),
        time_ranges=[TimeRange(column=c, min=lo, max=hi) for c, (lo, hi) in profile.time_ranges.items()],
        withheld=[WithheldCell(**{**w, "cell": mask_values(w["cell"], b.mask)}) for w in b.report.withheld_cells])
    return computed, b.validation()


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
