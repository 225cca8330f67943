"""Geographic skew: values resolved to ISO 3166-1 alpha-3, concentration, regions, and the gap to a
reference population (metrics.md). Country resolution runs once per distinct value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, field_validator

from datavet.checks.base import CheckType, SuiteContext, expectation
from datavet.checks.limits import Count, Reference, Severity, Share, SplitScoped, reference_sums_to_something
from datavet.figures.distribution import compare, normalise
from datavet.figures.outcome import Outcome, check_max, check_min, fmt, ratio
from datavet.figures.tables import labelled_counts
from datavet.geo.countries import continent_of, resolve
from datavet.privacy.declare import PRESENT, cell, counts, over
from datavet.privacy.names import extend, opaque_names, rename
from datavet.privacy.rule import is_count

if TYPE_CHECKING:  # pragma: no cover
    from datavet.changes import Changes
    from datavet.datasheet.computed import Sheet
    from datavet.datasheet.models import Computed, Datasheet, GroupRate
    from datavet.datasheet.views import Chart
    from datavet.report import CheckResult

NAME = "geography"


class GeographySpec(SplitScoped):
    column: str
    reference: Reference | None = Field(default=None, description="'world_population' or {ISO3: share}.")
    max_top1_share: Share | None = None
    max_hhi: Share | None = None
    min_effective_countries: Annotated[float, Field(ge=0.0)] | None = None
    min_regions: Count | None = None
    max_tvd: Share | None = None
    min_resolved_share: Share | None = None
    min_reference_share: Share = 0.01
    min_ratio: Annotated[float, Field(ge=0.0)] | None = None
    severity: Severity = "error"

    _ref = field_validator("reference")(reference_sums_to_something)


MAX_UNRESOLVED = 50


def geography(table: dict[str, Any], tokens: list[str], *, reference: Mapping[str, float] | None = None,
              max_top1_share: float | None = None, max_hhi: float | None = None,
              min_effective_countries: float | None = None, min_regions: int | None = None,
              max_tvd: float | None = None, min_resolved_share: float | None = None,
              min_reference_share: float = 0.01, min_ratio: float | None = None,
              private: bool = False, names: Mapping[str, str] | None = None,
              aliases: Mapping[str, str] | None = None, us_postal_codes: bool = False) -> Outcome:
    """``names``: the validation's numbering of a private column's raw values (datavet.privacy.names);
    a country is named after its most frequent raw value, so group-k means the same in every check.
    ``aliases`` and ``us_postal_codes``: how values resolve (datavet.geo.countries.resolve)."""
    values = {k[0]: n for k, n in labelled_counts(table, tokens).items()}
    codes = resolve(values, aliases=aliases, us_postal_codes=us_postal_codes)
    counts: dict[str, int] = {}
    unresolved: dict[str, int] = {}
    for value, n in values.items():
        code = codes[value]
        if code is None:
            unresolved[value] = unresolved.get(value, 0) + n
        else:
            counts[code] = counts.get(code, 0) + n
    regions: dict[str, int] = {}
    for code, n in counts.items():
        region = continent_of(code) or "unknown"
        regions[region] = regions.get(region, 0) + n
    if private:
        raw = extend(names if names is not None else opaque_names(values), values)
        number = {v: int(raw[v].rsplit("-", 1)[1]) for v in values}
        representative: dict[str, str] = {}
        for value in sorted(values, key=lambda v: number[v]):
            if codes[value] is not None:
                representative.setdefault(codes[value], raw[value])
        mapping = extend(representative, reference or {})
        counts = rename(counts, mapping)
        reference = rename(dict(reference), mapping) if reference else reference
        unresolved = rename(unresolved, raw)
    out = _figures(values, counts, unresolved, regions)
    if reference:
        _against_reference(out, counts, reference, min_reference_share, min_ratio)
    _limits(out, max_top1_share, max_hhi, min_effective_countries, min_regions, max_tvd,
            min_resolved_share, min_ratio, reference)
    return out


def _figures(values: dict[str, int], counts: dict[str, int], unresolved: dict[str, int],
             regions: dict[str, int]) -> Outcome:
    non_missing = sum(values.values())
    resolved = sum(counts.values())
    ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    shares = {c: n / resolved for c, n in ordered.items()}
    top = list(ordered)
    hhi = math.fsum(s * s for s in shares.values()) if resolved else None
    unresolved_sorted = sorted(unresolved.items(), key=lambda kv: (-kv[1], kv[0]))
    out = Outcome({
        "non_missing": non_missing,
        "resolved_share": ratio(resolved, non_missing),
        "unresolved_values": dict(unresolved_sorted[:MAX_UNRESOLVED]),
        "counts": ordered,
        "shares": shares,
        "distinct_countries": len(ordered),
        "top1_country": top[0] if top else None,
        "top1_share": shares[top[0]] if top else None,
        "top5_share": math.fsum(shares[c] for c in top[:5]) if top else None,
        "hhi": hhi,
        "effective_countries": (1.0 / hhi) if hhi else None,
        "region_counts": dict(sorted(regions.items())),
        "region_shares": {r: n / resolved for r, n in sorted(regions.items())},
        "regions_present": sorted(r for r, n in regions.items() if n > 0),
    })
    if len(unresolved) > MAX_UNRESOLVED:
        out.notes.append(f"unresolved_values lists the {MAX_UNRESOLVED} most frequent of "
                         f"{len(unresolved)} unresolved values")
    if not non_missing:
        out.notes.append("resolved_share is null: the column has no non-missing values")
    if not resolved:
        out.notes.append("no value resolved to a country: concentration figures are null")
    return out


def _against_reference(out: Outcome, counts: dict[str, int], reference: Mapping[str, float],
                       min_reference_share: float, min_ratio: float | None) -> None:
    compare(out, counts, reference)
    # metrics.md names only these four reference figures for geography
    out.observed.pop("absent_groups", None)
    out.observed.pop("unexpected_groups", None)
    if min_ratio is None:
        out.observed["underrepresented"] = None
        out.notes.append("underrepresented is null: set min_ratio to list under-represented countries")
        return
    ref = normalise(reference)
    out.observed["underrepresented"] = sorted(
        c for c, r in out.observed["ratios"].items()
        if ref[c] >= min_reference_share and r is not None and r < min_ratio)


def _limits(out: Outcome, max_top1_share, max_hhi, min_effective_countries, min_regions, max_tvd,
            min_resolved_share, min_ratio, reference) -> None:
    o = out.observed
    check_max(out, "top1_share", o["top1_share"], "max_top1_share", max_top1_share)
    check_max(out, "hhi", o["hhi"], "max_hhi", max_hhi)
    check_min(out, "effective_countries", o["effective_countries"], "min_effective_countries",
              min_effective_countries)
    check_min(out, "regions_present", len(o["regions_present"]), "min_regions", min_regions)
    check_min(out, "resolved_share", o["resolved_share"], "min_resolved_share", min_resolved_share)
    if reference:
        check_max(out, "tvd", o.get("tvd"), "max_tvd", max_tvd)
        if min_ratio is not None:
            for c in o["underrepresented"]:
                out.violate("ratios", o["ratios"][c], "<", "min_ratio", min_ratio, group=c,
                            suffix=f" (reference share {fmt(o['reference_shares'][c])})")
    out.cap()


def unresolved_lines(report: Any) -> list[str]:
    """The values of each geography check that resolved to no country, with exact counts: printed by
    `datavet check` for the person fixing the spec on their own machine (published reports keep the
    small-cell rule; a private column's values are already its opaque group names). Once per column:
    every geography check on a column resolves the same values."""
    lines = []
    seen: set[str | None] = set()
    for c in report.checks:
        values = c.observed.get("unresolved_values") if c.check == NAME else None
        if not values or c.column in seen:
            continue
        seen.add(c.column)
        lines.append(f"{NAME} on {c.column}: {len(values)} value(s) resolve to no country "
                     f"({sum(values.values())} rows); map them under `aliases: {{value: ISO3}}` in the spec:")
        lines += [f"  {value!r}: {n}" for value, n in values.items()]
        lines += [f"  ({note})" for note in c.notes if "unresolved_values" in note]
    return lines


class Geography(CheckType):
    name = NAME
    expectation_type = "expect_column_geography_to_be_diverse"
    expectation_module = "datavet.gx.expectations.expect_column_geography_to_be_diverse"
    limit_keys = ("max_top1_share", "max_hhi", "min_effective_countries", "min_regions", "max_tvd",
                  "min_resolved_share", "min_reference_share", "min_ratio")
    spec_key = NAME
    spec_annotation = list[GeographySpec]

    def configurations(self, checks: Any, ctx: SuiteContext) -> list[dict[str, Any]]:
        from datavet.references import resolve_reference

        return [expectation(self, g.severity, splits=g.splits, column=g.column,
                            reference=resolve_reference(ctx.loaded, g.reference),
                            max_top1_share=g.max_top1_share, max_hhi=g.max_hhi,
                            min_effective_countries=g.min_effective_countries, min_regions=g.min_regions,
                            max_tvd=g.max_tvd, min_resolved_share=g.min_resolved_share,
                            min_reference_share=g.min_reference_share, min_ratio=g.min_ratio,
                            private=g.column in ctx.private, aliases=dict(ctx.loaded.spec.aliases) or None,
                            us_postal_codes=ctx.loaded.spec.postal_codes(g.column) == "US" or None)
                for g in checks.geography]

    def columns(self, checks: Any) -> set[str]:
        return {g.column for g in checks.geography}

    def references(self, checks: Any) -> list[tuple[str, Any]]:
        return [(g.column, g.reference) for g in checks.geography]

    def declare(self, result: Any, t: Any) -> None:
        """Countries (ISO codes), the unresolved values listed, regions (sums of countries) and the
        resolved total behind every share."""
        o, c = result.observed, result.column
        if not c:
            return
        present, resolved, unlisted = cell((c, PRESENT)), cell((c, "\x00resolved")), cell((c, "\x00unlisted"))
        country = lambda code: cell((c, "\x00iso:" + str(code)))  # noqa: E731
        region = lambda r: cell((c, "\x00region:" + str(r)))  # noqa: E731
        t.count(("non_missing",), present, o.get("non_missing"))
        values = o.get("counts") if isinstance(o.get("counts"), dict) else {}
        keys = counts(t, "counts", values, country, resolved)
        loose = counts(t, "unresolved_values", o.get("unresolved_values"), lambda v: cell((c, str(v))))
        t.relation(present, [resolved, *loose, unlisted])
        members: dict[str, list[Any]] = {}
        for code in values:
            members.setdefault(continent_of(str(code)) or "unknown", []).append(country(code))
        for r, parts in members.items():
            t.relation(region(r), parts)
        regions = counts(t, "region_counts", o.get("region_counts"), region, resolved)
        for key, of in (("shares", country), ("ratios", country), ("region_shares", region)):
            for g in o.get(key) or {} if isinstance(o.get(key), dict) else ():
                t.derived((key, g), of(g), resolved)
        t.derived(("resolved_share",), resolved, present)
        ordered = sorted(values, key=lambda g: (-(values[g] if isinstance(values[g], int) else 0), g))
        if ordered:
            t.derived(("top1_share",), country(ordered[0]), resolved)
            t.derived(("top5_share",), *map(country, ordered[:5]), resolved)
        over(t, [("hhi",), ("effective_countries",), ("tvd",)], [*keys, *regions, resolved], o)

    def metrics(self, result: Any, out: dict[str, Any]) -> None:
        from datavet.checks.representation import shares_metric

        shares_metric(self.name, result, out)

    def computed(self, results: list[CheckResult], sheet: Sheet, out: Computed) -> None:
        """C13 / C3: rows by country and region, against the reference where the spec gives one."""
        from datavet.datasheet.computed import num, pairs, unique
        from datavet.datasheet.models import GeographyFigure

        for r in unique(results, lambda r: r.column):
            o, col = r.observed, r.column or ""
            counts = {str(k): v for k, v in (o.get("counts") or {}).items()}
            ref = {str(k): v for k, v in (o.get("reference_shares") or {}).items()}
            # reference-only countries are many (every country on earth): list only observed ones
            countries = sheet.shares(col, counts, {str(k): v for k, v in (o.get("shares") or {}).items()},
                                     {k: v for k, v in ref.items() if k in counts},
                                     {str(k): v for k, v in (o.get("ratios") or {}).items()})
            unresolved = dict(pairs(o.get("unresolved_values") or {}))
            non_missing = o.get("non_missing")  # a share of a withheld count, or of a withheld total, is withheld
            out.geography.append(GeographyFigure(
                column=col, resolved_share=num(o.get("resolved_share")),
                unresolved=sheet.shares(col, unresolved, {k: v / non_missing for k, v in unresolved.items()
                                                          if is_count(v)} if is_count(non_missing) and non_missing
                                        else {}),
                countries=countries, distinct_countries=o.get("distinct_countries"),
                top1_country=o.get("top1_country"), top1_share=num(o.get("top1_share")),
                top5_share=num(o.get("top5_share")), hhi=num(o.get("hhi")),
                effective_countries=num(o.get("effective_countries")),
                regions=_regions(o),
                tvd=num(o.get("tvd")),
                underrepresented=[str(u.get("country", u)) if isinstance(u, dict) else str(u)
                                  for u in o.get("underrepresented") or []],
                has_reference=bool(ref), reference=sheet.reference_of(sheet.spec.checks.geography, col, ref)))

    def charts(self, computed: Computed, out: dict[str, list[Chart]]) -> None:
        from datavet.datasheet.views import TOP_COUNTRIES, bar_chart, pct, rate_rows, share_rows

        for i, g in enumerate(computed.geography):
            top = g.countries[:TOP_COUNTRIES]
            rest = g.countries[TOP_COUNTRIES:]
            rows = share_rows(top)
            if rest:
                share = sum(x.share or 0.0 for x in rest)
                rows.append((f"{len(rest)} other countries", share, pct(share), None))
            chart = bar_chart(
                f"geo-{i}", f"{g.column}: rows by country", "Share of resolved rows per country (ISO 3166-1 "
                "alpha-3)" + (", black tick: reference population share." if g.has_reference else "."), rows)
            chart.reference = g.reference.text if g.reference else ""
            out["geography"].append(chart)
            if g.regions:
                out["geography"].append(bar_chart(f"geo-reg-{i}", f"{g.column}: rows by region",
                                                  "Share of resolved rows per region.", rate_rows(g.regions)))

    def skews(self, sheet: Datasheet) -> list[str]:
        from datavet.datasheet.croissant import fig

        out = []
        for g in sheet.computed.geography:
            if g.top1_country is None or g.top1_share is None:
                continue
            text = f"Rows by {g.column}: top country {g.top1_country} {fig(g.top1_share)} of resolved rows"
            if g.top5_share is not None:
                text += f", top five {fig(g.top5_share)}"
            if g.hhi is not None:
                text += f", HHI {fig(g.hhi)}"
            if g.effective_countries is not None:
                text += f", effective countries {g.effective_countries:.2f}"
            if g.reference is not None:
                text += f"; reference population {g.reference.text}"
            out.append(text + ".")
        return out

    def changes(self, new: list[CheckResult], old: list[CheckResult], threshold: int, out: Changes) -> None:
        from datavet.checks.representation import share_shifts

        out.geography_shift = {c: {k: v for k, v in shifts.items() if v}
                               for c, shifts in share_shifts(new, old, threshold).items()}


def _regions(o: dict[str, Any]) -> list[GroupRate]:
    """Shares by region, withheld for a region with fewer rows than the threshold (or of unknown size)."""
    from datavet.datasheet.computed import num
    from datavet.datasheet.models import GroupRate

    counts = o.get("region_counts") if isinstance(o.get("region_counts"), dict) else {}
    out = []
    for g, v in sorted((o.get("region_shares") or {}).items(), key=lambda kv: -(kv[1] or 0)):
        withheld = v is None or not is_count(counts.get(g))
        out.append(GroupRate(group=str(g), rate=None if withheld else num(v), withheld=withheld))
    return out
