"""The dispatch workflow's runtime commands: verify, operate, announce, apply.

They are registered with every other command in `repowarden.runtime.commands`
(`python -m repowarden.runtime verify ...`), and live here beside the pipeline they
drive: the event check, the operation kinds, the artifact check and the apply step.
"""
