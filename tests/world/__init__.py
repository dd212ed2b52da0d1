"""A simulated GitHub world for scenarios written as people's and Apps' actions (README.md)."""

from world.log import Event, JobRecord, RunRecord, WorldLog
from world.principals import App, Person, app_token
from world.protection import Protection, RequiredCheck, Verdict
from world.schedule import PUNCTUAL, ScheduleModel
from world.world import World, WorldError

__all__ = [
    "PUNCTUAL",
    "App",
    "Event",
    "JobRecord",
    "Person",
    "Protection",
    "RequiredCheck",
    "RunRecord",
    "ScheduleModel",
    "Verdict",
    "World",
    "WorldError",
    "WorldLog",
    "app_token",
]
