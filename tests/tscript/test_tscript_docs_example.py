"""The worked module example from docs/tscript.md runs as documented."""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tscript.md"


class Plug:
    model = "PX-1"

    def __init__(self):
        self.port, self.checks = 0, 0

    def set_port(self, port):
        self.port = port

    def ready(self):
        self.checks += 1
        return self.checks > 1


def test_worked_example():
    """Extract the example, run it with a fake plug, and check the documented outcomes."""
    text = DOCS.read_text()
    block = re.search(r"### Worked example.*?```python\n(.*?)```", text, re.S).group(1)
    setup = block.split("runner = Runner(")[0]
    namespace = {"plug": Plug()}
    exec(setup, namespace)
    runner = namespace["Runner"](namespace["source"], modules=[namespace["power_module"](namespace["plug"])])
    assert runner.run().message == "Waiting for the plug (1/3)"
    outcome = runner.run()
    assert outcome.status == "waiting"
    assert outcome.task["function"] == "power_on" and outcome.task["parameters"] == {"port": 4, "delay": 5}
    runner.provide_error(outcome.task["cookie"], "BMC timeout")
    assert runner.run().error["kind"] == "remote"
    runner.rollback()
    outcome = runner.run()
    assert outcome.task["function"] == "power_off"
    runner.provide_result(outcome.task["cookie"], None)
    outcome = runner.run()
    assert outcome.task["function"] == "power_on"
    runner.provide_result(outcome.task["cookie"], {"state": "on"})
    assert runner.run().message == "power is on"
    assert runner.run().status == "done"
