"""The manual foundation's power functions: each asks a person to act, pausing the job until it is resumed."""

from tscript import Step, Steps

ASKS = {
    "power_on": "Please power on {locator}, then resume the job.",
    "power_off": "Please power off {locator}, then resume the job.",
    "power_cycle": "Please power cycle {locator}, then resume the job.",
}


def _ask(context, foundation, text: str) -> Steps:
    def start(**arguments):
        return {"asked": False, "arguments": arguments}

    def step(state):
        if state["asked"]:
            return Step.finish(True)
        context.pause(text.format(locator=foundation.locator, **state["arguments"]))
        return Step.more("Waiting for a person", {**state, "asked": True})

    return Steps(start=start, step=step)


def manual_functions(context, foundation) -> dict:
    """`power_on`, `power_off`, `power_cycle`, `set_boot( device= )` pause for a person; `power_state()` is unknown."""
    functions = {name: _ask(context, foundation, text) for name, text in ASKS.items()}
    functions["set_boot"] = _ask(
        context, foundation, "Please set {locator} to boot from {device}, then resume the job."
    )
    functions["power_state"] = lambda: "unknown"
    return functions
