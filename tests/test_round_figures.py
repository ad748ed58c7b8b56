"""One truth per figure: every workbook written from random stores (one to four rounds per country, duplicates and
dates out of range among them), read back with pandas; every figure shown in two places agrees, no domain is below
all of its sections, and assessments left out of a round are listed in Data quality."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from qaf_kobo.framework import default_framework
from qaf_kobo.report.wording import wording
from qaf_kobo.report.workbook import write_reports
from qaf_kobo.scoring import score_submissions

from qaf_rows import qaf_form, submission

FW = default_framework()
DAY = dt.date(2025, 6, 30)
LEVELS = {level.label: level.code for level in FW.levels}
SHORT = {wording(FW, "en").level_short(code): wording(FW, "en").level(code) for code in [*FW.level_codes, None]}
"""The heat maps' short level names, as their legend gives the full ones."""


def stores(draw_rounds: list[int], seed: int, duplicate: bool, early: bool) -> pd.DataFrame:
    """Assessments of countries with these numbers of rounds; levels drawn from ``seed``; optionally a duplicate of
    the first assessment (submitted later) and an assessment dated 2014 in the latest round of the first country."""
    import random

    rng = random.Random(seed)
    form = qaf_form()
    rows, n = [], 0
    for country, n_rounds in zip(("EGY", "JOR", "LBN", "SYR"), draw_rounds):
        for r in range(n_rounds):
            for agency in ("IRC", "UNICEF")[: rng.randint(1, 2)]:
                n += 1
                base = rng.randint(1, 4)
                rows.append(submission(FW, form, n, country, agency, f"{2021 + r}-0{rng.randint(1, 9)}-1{r}",
                                       f"round {r + 1}", lambda c, b=base: str(min(4, max(1, b + rng.choice((-1, 0, 1)))))))
    if duplicate:
        copy = dict(rows[0], _id=n + 1, _uuid="dup")
        copy["meta/rootUuid"], copy["_submission_time"] = "uuid:dup", "2025-02-01T00:00:00"
        rows.append(copy)
    if early:
        first = rows[-1]
        late = dict(first, _id=n + 2, _uuid="early")
        late["meta/rootUuid"] = "uuid:early"
        late[form.key("assessment_date")] = "2014-12-31"
        late[form.key("country")], late[form.key("round")] = "EGY", f"round {draw_rounds[0]}"
        rows.append(late)
    return pd.DataFrame(rows)


def sheet(path: Path, name: str, **options) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, **options)


def check_workbooks(raw: pd.DataFrame, folder: Path) -> None:
    scores = score_submissions(raw, FW, current_version="v1", today=pd.Timestamp(DAY))
    check_figures(scores, write_reports(scores, FW, folder, date=DAY))


def check_figures(scores, paths: list[Path]) -> None:
    """Every figure shown in two places of these workbooks (the regional one first) agrees."""
    regional, countries = paths[0], paths[1:]
    overview = sheet(regional, "Overview").set_index("Country code")
    plan = sheet(regional, "Country action plan")
    heat = sheet(regional, "Heat map")
    sections = sheet(regional, "Sections")
    section_titles = [f"{s.id}. {s.title}" for s in FW.sections]
    minimum = FW.minimum
    for path in countries:
        profile = sheet(path, "Country profile", header=None)
        country = str(profile.iloc[0, 0]).rsplit("(", 1)[1].rstrip(")")
        row = overview.loc[country]
        # Overview vs Country profile: rounds, sections meeting the minimum, actions.
        text = str(profile.iloc[1, 0])
        assert f"Latest round: {row['Latest round']} ({row['Assessments (latest round)']} assessment" in text  # or …s
        levels_head = profile.index[profile[0] == "Domain / section"][0]
        per_level_head = profile.index[profile[0] == "Sections per level"][0]
        per_level = profile.iloc[per_level_head + 1: per_level_head + 1 + len(FW.levels) + 1, :3]
        meets = sum(int(n) for name, n in zip(per_level[0], per_level[1]) if LEVELS.get(name, 0) >= minimum)
        total = f"of {len(FW.sections)}"
        assert meets == row[f"Sections meeting the minimum, {total} (latest round)"]
        if pd.notna(row["Previous round"]):
            previous = sum(int(n) for name, n in zip(per_level[0], per_level[2]) if LEVELS.get(name, 0) >= minimum)
            assert previous == row[f"Sections meeting the minimum, {total} (previous round)"]
        progress_head = profile.index[profile[0].astype(str).str.startswith("Action progress")][0]
        progress = dict(zip(profile.iloc[progress_head + 1: progress_head + 7, 0], profile.iloc[progress_head + 1: progress_head + 7, 1]))
        assert progress["Overdue"] == row["Overdue actions"]
        assert progress["Not started"] + progress["Underway"] == row["Open actions (not completed or cancelled)"]
        # Regional plan vs country plan.
        own = sheet(path, "Country action plan")
        mine = plan[plan["Country"] == row["Country"]]
        assert list(mine["Action id"]) == list(own["Action id"])
        # Domains vs Country profile, and no domain below all of its sections (latest round).
        block = profile.iloc[levels_head + 1: per_level_head - 1, :3]
        latest = dict(zip(block[0].astype(str), block[1]))  # sections indented: a section may share its domain's title
        domains = sheet(path, "Domains")
        last = domains[domains["Round"].astype(str) == str(row["Latest round"])].iloc[0]
        for domain in FW.domains:
            label = f"{domain.id}. {domain.title}"
            assert latest[label] == last[f"{label}: level"]
            titles = [f"    {sid}. {FW.section(sid).title}" for sid in domain.section_ids]
            own_levels = [LEVELS[latest[t]] for t in titles if latest.get(t) in LEVELS] if len(titles) > 1 else []
            if own_levels and latest[label] in LEVELS:
                assert LEVELS[latest[label]] >= min(own_levels)
        # Heat map vs Sections (the latest round of the country in the regional workbook).
        heat_row = heat[(heat["Country code"] == country) & (heat["Round"].astype(str) == str(row["Latest round"]))].iloc[0]
        mine_sections = sections[(sections["Country code"] == country)]
        assert set(mine_sections["Round"].astype(str)) == {str(row["Latest round"])}
        for title, level in zip(mine_sections["Section"], mine_sections["Level (round)"]):
            assert SHORT[heat_row[section_titles[[f"{s.id}. {s.title}" for s in FW.sections].index(title)]]] == level
    # Left out assessments are listed in Data quality and not counted in the round.
    left = scores.assessments[scores.assessments["left_out"] != ""]
    quality = sheet(regional, "Data quality")
    listed = quality[quality["Check"] == "Left out of the round's figures"]
    assert set(listed["Submission id"].astype(str).str.lstrip("'")) >= set(left["root_uuid"])
    counted = scores.assessments[scores.assessments["left_out"] == ""].groupby(["country", "round"]).size()
    for _, r in scores.rounds.iterrows():
        assert r["n_assessments"] == counted[(r["country"], r["round"])]


@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate],  # no shrinking: slow machine
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 10_000),
       duplicate=st.booleans(), early=st.booleans())
def test_every_figure_shown_twice_agrees(tmp_path_factory, rounds, seed, duplicate, early):
    check_workbooks(stores(rounds, seed, duplicate, early), tmp_path_factory.mktemp("books"))


def test_duplicates_and_early_dates_are_left_out_of_the_round():
    raw = stores([2], 3, duplicate=True, early=True)
    scores = score_submissions(raw, FW, current_version="v1", today=pd.Timestamp(DAY))
    reasons = scores.assessments.set_index("root_uuid")["left_out"]
    assert reasons["early"] == "date_out_of_range"
    assert reasons["0000-1"] == "duplicate_assessment" and reasons["dup"] == ""  # the later submission is kept
    latest = scores.rounds[scores.rounds["from_latest"] == 0].iloc[0]
    assert latest["n_left_out"] >= 1
    listed = scores.quality[scores.quality["check"] == "left_out_of_round"]
    assert set(listed["root_uuid"]) == {"early", "0000-1"}
