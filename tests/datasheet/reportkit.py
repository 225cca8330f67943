"""Check reports for the datasheet tests, computed here with plain pandas, independently of the
GX checks, from the real data and the dataset spec (names and shapes as in metrics.md)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pycountry
from scipy.stats import chisquare

from datavet.figures.outcome import Violation
from datavet.ingest import read_source, write_parquet
from datavet.report import CheckReport, CheckResult, plain_json
from datavet.spec import LoadedSpec

REPO = Path(__file__).resolve().parents[2]
DATA = (REPO.parent / "shared" / "data").resolve()
MISSING = "<missing>"


def missing_mask(s: pd.Series, tokens: list[str]) -> pd.Series:
    return s.isna() | s.astype("string").str.strip().isin(tokens).fillna(False)


def _result(**kw) -> CheckResult:
    """A result as datavet writes it: violated limits as data, their texts rendered from them."""
    kw["observed"] = plain_json(kw.get("observed", {}))
    violations = kw.pop("failures", [])
    kw["failures"] = [v.render() for v in violations]
    kw["violations"] = [plain_json(v.as_json()) for v in violations]
    return CheckResult(**kw)


def missingness(df: pd.DataFrame, tokens: list[str], max_rate: float | None) -> list[CheckResult]:
    out = []
    for col in df.columns:
        s = df[col]
        mask = missing_mask(s, tokens)
        n = int(mask.sum())
        token_counts = {"null": int(s.isna().sum())} if s.isna().any() else {}
        for tok in tokens:
            k = int((s.astype("string").str.strip() == tok).fillna(False).sum())
            if k:
                token_counts[tok] = k
        rate = n / len(df) if len(df) else None
        ok = max_rate is None or rate is None or rate <= max_rate
        out.append(_result(check="missingness", column=col, success=ok,
                           observed={"rows": len(df), "missing_count": n, "missing_rate": rate,
                                     "token_counts": token_counts},
                           failures=[] if ok else [Violation("missing_rate", "max_rate", max_rate, ">", rate)]))
    return out


def parity(df, column, by, tokens, max_diff, severity) -> CheckResult:
    groups = df[by].where(~missing_mask(df[by], tokens), MISSING).astype(str)
    rates = missing_mask(df[column], tokens).groupby(groups).mean().to_dict()
    hi, lo = max(rates.values()), min(rates.values())
    ok = max_diff is None or hi - lo <= max_diff
    return _result(check="missingness_parity", column=column, by=by, severity=severity, success=ok,
                   observed={"group_missing_rate": rates, "group_rows": groups.value_counts().to_dict(),
                             "max_rate": hi, "min_rate": lo, "max_diff": hi - lo,
                             "max_ratio": hi / lo if lo else None},
                   failures=[] if ok else [Violation("max_diff", "max_diff", max_diff, ">", hi - lo)])


def representation(df, column, tokens, reference=None, min_count=None, severity="error") -> CheckResult:
    s = df[column][~missing_mask(df[column], tokens)].astype(str)
    counts = s.value_counts().to_dict()
    n = int(len(s))
    shares = {g: c / n for g, c in counts.items()}
    obs = {"non_missing": n, "counts": counts, "shares": shares,
           "min_share_observed": min(shares.values()), "min_count_observed": min(counts.values())}
    failures = []
    if reference:
        total = sum(reference.values())
        ref = {g: v / total for g, v in reference.items()}
        union = set(ref) | set(shares)
        observed = [counts.get(g, 0) for g in ref]
        expected = [ref[g] * sum(observed) for g in ref]
        obs.update(reference_shares=ref, ratios={g: shares.get(g, 0.0) / ref[g] for g in ref},
                   tvd=0.5 * sum(abs(shares.get(g, 0.0) - ref.get(g, 0.0)) for g in union),
                   absent_groups=sorted(g for g in ref if g not in counts),
                   unexpected_groups=sorted(g for g in counts if g not in ref),
                   chi2_pvalue=float(chisquare(observed, expected).pvalue))
    if min_count is not None:
        failures += [Violation("counts", "min_count", min_count, "<", c, group=g, count=True)
                     for g, c in counts.items() if c < min_count]
    return _result(check="representation", column=column, severity=severity, success=not failures,
                   observed=obs, failures=failures)


def intersectional(df, columns, tokens, min_count) -> CheckResult:
    keep = ~pd.concat([missing_mask(df[c], tokens) for c in columns], axis=1).any(axis=1)
    sub = df.loc[keep, columns].astype(str)
    cells = sub.value_counts().to_dict()
    cell_counts = {"|".join(k): int(v) for k, v in cells.items()}
    values = [sorted(sub[c].unique()) for c in columns]
    combos = pd.MultiIndex.from_product(values)
    empty = ["|".join(k) for k in combos if k not in cells]
    smallest = sorted(cell_counts.items(), key=lambda kv: kv[1])[:10]
    failures = [Violation("cell_counts", "min_count", min_count, "<", v, group=k, count=True)
                for k, v in cell_counts.items() if v < min_count]
    failures += [Violation(text=f"cell {k!r} is empty") for k in empty if min_count > 0]
    return _result(check="intersectional", columns=columns, success=not failures, failures=failures,
                   observed={"cell_counts": cell_counts, "empty_cells": empty,
                             "smallest_cells": [{"cell": k, "count": v} for k, v in smallest]})


@cache
def _regions() -> dict[str, str]:
    codes = pd.read_csv(DATA / "country_codes_iso3166.csv", dtype=str, keep_default_na=False)
    return dict(zip(codes["ISO3166-1-Alpha-3"], codes["Region Name"], strict=True))


@cache
def world_population() -> dict[str, float]:
    pop = pd.read_csv(DATA / "world_population_worldbank.csv", keep_default_na=False)
    pop = pop[pop["Country Code"].isin(_regions())]
    latest = pop[pop["Year"] == pop["Year"].max()]
    total = latest["Value"].sum()
    return {c: v / total for c, v in zip(latest["Country Code"], latest["Value"], strict=True)}


def _iso3(value: str) -> str | None:
    try:
        return pycountry.countries.lookup(value.replace("-", " ")).alpha_3
    except LookupError:
        return None


def geography(df, column, tokens, reference=True, max_top1_share=None, severity="error") -> CheckResult:
    s = df[column][~missing_mask(df[column], tokens)].astype(str)
    iso = s.map({v: _iso3(v) for v in s.unique()})
    resolved = iso.dropna()
    counts = resolved.value_counts().to_dict()
    n = len(resolved)
    shares = {k: v / n for k, v in counts.items()}
    top = sorted(shares.values(), reverse=True)
    hhi = sum(v * v for v in shares.values())
    regions: dict[str, float] = {}
    region_counts: dict[str, int] = {}
    for k, v in shares.items():
        region = _regions().get(k) or "unknown"
        regions[region] = regions.get(region, 0.0) + v
        region_counts[region] = region_counts.get(region, 0) + counts[k]
    obs = {"resolved_share": n / len(s), "counts": counts, "shares": shares, "distinct_countries": len(counts),
           "unresolved_values": s[iso.isna()].value_counts().head(50).to_dict(),
           "top1_country": max(shares, key=shares.get), "top1_share": top[0], "top5_share": sum(top[:5]),
           "hhi": hhi, "effective_countries": 1 / hhi, "region_shares": regions, "region_counts": region_counts,
           "regions_present": sorted(regions)}
    if reference:
        ref = world_population()
        obs.update(reference_shares=ref, tvd=0.5 * sum(abs(shares.get(k, 0) - ref.get(k, 0))
                                                       for k in set(ref) | set(shares)),
                   ratios={k: shares.get(k, 0) / r for k, r in ref.items() if r},
                   underrepresented=sorted(k for k, r in ref.items() if r >= 0.01 and shares.get(k, 0) / r < 0.8))
    ok = max_top1_share is None or top[0] <= max_top1_share
    return _result(check="geography", column=column, severity=severity, success=ok, observed=obs,
                   failures=[] if ok else [Violation("top1_share", "max_top1_share", max_top1_share, ">", top[0])])


def label_balance(df, label, by, positive, tokens, min_di, severity) -> CheckResult:
    keep = ~missing_mask(df[label], tokens) & ~missing_mask(df[by], tokens)
    rates = (df.loc[keep, label].astype(str).str.strip() == positive).groupby(df.loc[keep, by]).mean().to_dict()
    hi, lo = max(rates.values()), min(rates.values())
    di = lo / hi if hi else None
    ok = min_di is None or (di is not None and di >= min_di)
    return _result(check="label_balance", column=label, by=by, severity=severity, success=ok,
                   observed={"positive_rates": rates, "rows": df.loc[keep, by].value_counts().to_dict(),
                             "disparate_impact": di, "parity_difference": hi - lo},
                   failures=[] if ok else [Violation("disparate_impact", "min_disparate_impact", min_di, "<", di)])


def report_for(loaded: LoadedSpec, df: pd.DataFrame, md5: str) -> CheckReport:
    """Every check the spec asks for, computed with pandas."""
    spec, tokens = loaded.spec, loaded.spec.missing_tokens
    c = spec.checks
    results = missingness(df, tokens, c.missingness.max_rate if c.missingness else None)
    for p in c.missingness.parity if c.missingness else []:
        results.append(parity(df, p.column, p.by, tokens, p.max_diff, p.severity))
    for r in c.representation:
        ref = r.reference if isinstance(r.reference, dict) else None
        results.append(representation(df, r.column, tokens, ref, r.min_count, r.severity))
    for i in c.intersectional:
        results.append(intersectional(df, i.columns, tokens, i.min_count))
    for g in c.geography:
        results.append(geography(df, g.column, tokens, g.reference is not None, g.max_top1_share, g.severity))
    for lb in c.label_balance:
        results.append(label_balance(df, lb.label, lb.by, spec.positive_value(lb.label, lb.positive), tokens,
                                     lb.min_disparate_impact, lb.severity))
    ok = all(r.success for r in results if r.severity == "error")
    return CheckReport(dataset=spec.name, data_hash=md5, rows=len(df), success=ok, checks=results,
                       suite_name=f"{spec.name}_suite", validation_result_id=f"pandas-{md5[:12]}",
                       engine="pandas (test)")


def version(loaded: LoadedSpec, out_dir: Path,
            df: pd.DataFrame | None = None) -> tuple[Path, str, pd.DataFrame]:
    """Write the Parquet version the way the pipeline does; returns (path, md5, frame)."""
    frame = read_source(loaded) if df is None else df
    path = out_dir / "data.parquet"
    md5 = write_parquet(frame, path)
    return path, md5, frame


def dumps(report: CheckReport) -> str:
    return json.dumps(report.model_dump(mode="json"))
