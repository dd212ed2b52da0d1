"""A small runner for the workflows repowarden renders (tests only; see runner.py)."""

from workflow_runner.expressions import Evaluator, ExpressionError, evaluate_condition, interpolate
from workflow_runner.records import JobResult, RunnerError, StepResult, WorkflowRun
from workflow_runner.runner import Host, JobContext, Runner
from workflow_runner.workflow import WorkflowError, load_workflow, load_workflows, trigger_matches

__all__ = [
    "Evaluator",
    "ExpressionError",
    "Host",
    "JobContext",
    "JobResult",
    "Runner",
    "RunnerError",
    "StepResult",
    "WorkflowError",
    "WorkflowRun",
    "evaluate_condition",
    "interpolate",
    "load_workflow",
    "load_workflows",
    "trigger_matches",
]
