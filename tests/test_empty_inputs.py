"""Empty and placeholder inputs in a draft: `check` and `build` agree that they are not provided yet;
the draft builds and says so where each input would be (a final refuses them: see test_bad_inputs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_cli, seed_cache
from test_build_end_to_end import pdf_body

LOCAL = Path("data/local/lancashire/2013-14")


@pytest.mark.slow
def test_a_draft_counts_empty_and_placeholder_inputs_as_not_provided(project: Path, lancashire_build: Path) -> None:
    seed_cache(project, lancashire_build)  # the unchanged chapters are reused; the changed one is executed
    local = project / LOCAL
    training = local / "training.csv"
    training.write_text(training.read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8")  # header only
    (local / "partner_updates.yml").write_text("# Partner updates\nitems: []\n", encoding="utf-8")  # no items
    (local / "challenge_log.yml").write_text(  # the template's example, uncommented and unchanged
        "items:\n  - raised_with: Health\n    issue: Attendance at child protection conferences\n"
        "    response: Named lead appointed\n    status: resolved\n", encoding="utf-8")
    (local / "audit_findings.yml").write_bytes(b"")  # an empty file

    check = run_cli(project, "check", "-p", "lancashire", "-y", "2013-14", "--project", str(project))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "the input(s) above are not provided yet" in check.stderr
    for name in ("training.csv", "partner_updates.yml", "challenge_log.yml", "audit_findings.yml"):
        assert f"{LOCAL}/{name}" in check.stdout

    build = run_cli(project, "build", "-p", "lancashire", "-y", "2013-14", "--renderer", "embedded")
    assert build.returncode == 0, build.stderr
    # Executed again: the chapters that show these inputs, the appendix (it lists every input not
    # provided) and the summary of them; every other chapter is reused (local_data.write_chapter_not_provided).
    executed = set(re.findall(r"\] (\w+) executed", build.stderr))
    assert executed == {"training", "partner_updates", "quality_assurance", "appendix", "summary"}, build.stderr
    for name in ("training", "partner_updates.yml", "challenge_log.yml", "audit_findings.yml"):
        assert f"not provided: {name}" in build.stderr
    text = pdf_body(project / "build" / "lancashire" / "2013-14" / "public" / "report.pdf")
    for title in ("multi-agency training", "partner updates", "challenge log", "audit findings"):
        assert f"Not provided for 2013-14: {title}. Reason given: not yet provided for this draft." in text, title
    assert "Named lead appointed" not in text  # the template's example is never published
