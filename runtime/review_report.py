"""Presenting a review verdict: the commit status description and the job summary.

The policy (runtime/policy.py) decides; this module only words the decision, in
short for the gate's description and in full (one row per reviewer, one per rule)
for the job summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .policy import Verdict

STATUS_DESCRIPTION_MAX = 140  # GitHub truncates longer commit status descriptions


def status_description(verdict: Verdict) -> str:
    if verdict.approved:
        text = verdict.reasons[-1] if verdict.reasons else "approved"
    elif verdict.rules:
        text = _rules_in_short(verdict)
    elif verdict.missing:
        text = f"missing approval from {', '.join(verdict.missing)}"
    else:
        text = verdict.reasons[-1]
    if verdict.undismissed and not verdict.approved:
        # GitHub's review summary still shows these approvals as standing: say so. The
        # check beside dismiss-approvals reads them before it runs, so "or pending".
        text += (
            f"; stale approval still standing (dismissal refused or pending): "
            f"{', '.join(verdict.undismissed)}"
        )
    return fit_description(text)


def fit_description(text: str) -> str:
    """`text` cut to what a status description holds, marked with '…' when cut."""
    if len(text) > STATUS_DESCRIPTION_MAX:
        return text[: STATUS_DESCRIPTION_MAX - 1] + "…"
    return text


def _rules_in_short(verdict: Verdict) -> str:
    blocked = [r for r in verdict.reasons if r.startswith(("the label", "changes requested"))]
    unmet = [
        r for r in verdict.rules if r.in_force and r.matched and not r.met and r.effect != "bypass"
    ]
    if blocked:
        return blocked[-1]
    if unmet:
        return f"rule {unmet[0].name!r}: missing {unmet[0].missing}"
    if verdict.missing:
        return f"missing approval from {', '.join(verdict.missing)}"
    return verdict.reasons[-1]


def _cell(text: str | None) -> str:
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def short_sha(sha: str | None) -> str:
    return (sha or "?")[:7]


def summary_markdown(verdict: Verdict, *, title: str = "Review check") -> str:
    """The job summary: the answer, why, one row per reviewer and, with rules, per rule."""
    mark = "✅ approved" if verdict.approved else "❌ not approved"
    lines = [f"### {title}: {mark}", ""]
    lines += [f"- {_cell(reason)}" for reason in verdict.reasons]
    if verdict.missing:
        lines.append(f"- **missing:** {', '.join(verdict.missing)}")
    if verdict.rules:
        lines += [
            "",
            "| rule | applies | why | requires | approved by | met |",
            "|---|---|---|---|---|---|",
        ]
        for rule in verdict.rules:
            applies = ("yes" if rule.in_force else "set aside") if rule.matched else "no"
            met = ("✅" if rule.met else f"❌ {rule.missing}") if rule.matched else "—"
            lines.append(
                f"| {_cell(rule.name)} ({rule.effect}) | {applies} | "
                f"{_cell('; '.join(rule.conditions))} | {_cell(rule.requires)} | "
                f"{_cell(', '.join(rule.approvers) or None)} | {_cell(met)} |"
            )
    if verdict.rows:
        lines += [
            "",
            "| reviewer | required | latest review | on commit | counts | why |",
            "|---|---|---|---|---|---|",
        ]
        for row in verdict.rows:
            commit = short_sha(row.commit_id) if row.commit_id else None
            lines.append(
                f"| {_cell(row.login)} | {'yes' if row.required else 'no'} | "
                f"{_cell(row.state)} | {_cell(commit)} "
                f"| {'✅' if row.counts else '—'} | {_cell(row.note)} |"
            )
    return "\n".join(lines) + "\n"
