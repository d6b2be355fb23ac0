"""The public folder's scan for personal names: none outside the partner updates and foreword."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, seed_cache

from annualreport.publication.personal_names import names_in, scan_public

CHALLENGE_LOG = Path("data/local/lancashire/2013-14/challenge_log.yml")
PARTNER_UPDATES = Path("data/local/lancashire/2013-14/partner_updates.yml")
YEAR = Path("params/lancashire/2013-14.yml")
BUILD = ("build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")


def test_titles_and_given_names_with_a_surname_are_names() -> None:
    found = names_in("Mrs Smith met Sarah Jones; Dr. A. Patel wrote to Cllr O'Neill. Health and Police agreed.", [])
    assert found == ["Mrs Smith", "Sarah Jones", "Dr. A. Patel", "Cllr O'Neill"]


def test_agencies_and_allowed_phrases_are_not_names() -> None:
    text = "Lancashire Constabulary, the Royal Albert Edward Infirmary and East Lancashire Hospitals NHS Trust"
    assert names_in(text, []) == ["Edward Infirmary"]
    assert names_in(text, ["Royal Albert Edward Infirmary"]) == []


def test_the_example_names_nobody(lancashire_build: Path) -> None:
    assert scan_public(lancashire_build / "public", []) == []


@pytest.mark.slow
def test_a_final_report_naming_someone_in_the_challenge_log_is_refused(project: Path, lancashire_build: Path) -> None:
    seed_cache(project, lancashire_build)  # the unchanged chapters are reused; the changed one is executed
    year = project / YEAR
    year.write_text(year.read_text(encoding="utf-8").replace("status: draft", "status: final"), encoding="utf-8")
    log = project / CHALLENGE_LOG
    log.write_text(log.read_text(encoding="utf-8").replace("issue: Too few A&E staff", "issue: Mrs Smith said too few A&E staff"),
                   encoding="utf-8")
    updates = project / PARTNER_UPDATES  # a partner's own account may name its chair
    updates.write_text(updates.read_text(encoding="utf-8").replace("\n    update: |\n", "\n    update: |\n      Our chair, Sarah Jones, reports.\n", 1),
                       encoding="utf-8")
    refused = run_cli(project, *BUILD)
    assert refused.returncode == 1, refused.stderr
    assert "a final report may not name people outside the partner updates and foreword" in refused.stderr
    assert "report.html: personal name in a public file: found 'Mrs Smith' in section 'challenge-log'" in refused.stderr
    assert "Sarah Jones" not in refused.stderr
    assert not (project / "build" / "lancashire" / "2013-14").exists()

    year.write_text(year.read_text(encoding="utf-8") + "names_allowed:\n  - Mrs Smith\n", encoding="utf-8")
    built = run_cli(project, *BUILD)
    assert built.returncode == 0, built.stderr
    assert (project / "build" / "lancashire" / "2013-14" / "public" / "report.html").is_file()
