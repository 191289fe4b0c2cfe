"""The host interface: module values, local functions, multi-step functions and remote functions."""

import pytest

from tscript import Module, NotAllowedError, ParameterError, Remote, Runner, ScriptError, StaleCookieError, Step, Steps


def make_modules(store: dict) -> list[Module]:
    """A `demo` module exercising every kind of export."""
    demo = Module("demo")
    demo.add_value("name", getter=lambda: store.get("name", "web01"))
    demo.add_value("secret", setter=lambda value: store.__setitem__("secret", value))
    demo.add_value("tags", getter=lambda: store.setdefault("tags", ["a"]), setter=lambda v: store.update(tags=v))
    demo.add_function("double", lambda value: value * 2)

    @demo.local("strict")
    def strict(value):
        if type(value) is not int:
            raise ParameterError("value must be an integer")
        return value

    demo.add_function("explode", lambda: 1 / 0)
    demo.add_function("odd", lambda: object())
    demo.add_function("count", Steps(start=lambda upto: {"at": 0, "upto": upto}, step=count_step))
    demo.add_function(
        "power_on",
        Remote(task=lambda port: {"port": port, "state": "on"}, rollback=lambda port: {"port": port},
               result=lambda value: value["state"]),
    )  # fmt: skip
    demo.add_function("ping", Remote())
    return [demo]


def count_step(state):
    if state["at"] >= state["upto"]:
        return Step.finish(state["at"])
    return Step.more(f"counted {state['at'] + 1}", {**state, "at": state["at"] + 1})


def runner_for(source: str, store: dict | None = None, **options) -> Runner:
    store = {} if store is None else store
    return Runner(source, modules=make_modules(store), **options)


def test_values_read_write_and_read_write():
    """Read-only, write-only and read-write values; indexed writes go back through the setter."""
    store = {}
    runner = runner_for("n = demo.name\ndemo.secret = 'pw'\ndemo.tags[ 0 ] = 'z'\nt = demo.tags", store)
    assert runner.run().status == "done"
    assert runner.variables == {"n": "web01", "t": ["z"]}
    assert store["secret"] == "pw" and store["tags"] == ["z"]


@pytest.mark.parametrize(
    "source, kind, words",
    [
        ("demo.name = 'x'", "bad_operand", "read-only"),
        ("x = demo.secret", "bad_operand", "write-only"),
        ("x = demo.missing", "not_defined", "has no value 'missing'"),
        ("x = demo.missing()", "not_defined", "has no function 'missing'"),
        ("x = other.fn()", "not_defined", "Module 'other' is not defined"),
        ("x = demo.double( wrong=1 )", "bad_parameter", "demo.double()"),
        ("x = demo.strict( value='a' )", "bad_parameter", "must be an integer"),
        ("x = demo.explode()", "unexpected", "ZeroDivisionError"),
        ("x = demo.odd()", "bad_operand", "cannot be used"),
    ],
)
def test_module_errors_abort(source, kind, words):
    """Unknown names are not defined, access rules are enforced, Python exceptions are unexpected."""
    outcome = runner_for(source).run()
    assert outcome.status == "aborted"
    assert outcome.error["kind"] == kind and words in outcome.error["message"]
    assert outcome.error["line"] == 1


def test_local_function_in_an_expression():
    """A one-step local function returns its value within the step."""
    runner = runner_for("x = 1 + demo.double( value=20 ) * 2")
    assert runner.run().status == "done" and runner.variables == {"x": 81}


def test_multi_step_function_reports_each_step(clock):
    """A Steps function ends a job step per message; its handler state lives in the runner state."""
    runner = runner_for("x = demo.count( upto=3 ) + 100", clock=clock)
    messages = [runner.run().message for _ in range(3)]
    assert messages == ["counted 1", "counted 2", "counted 3"]
    assert runner.state()["call"]["state"] == {"at": 3, "upto": 3}
    assert [level["kind"] for level in runner.progress()] == ["scope", "function"]
    assert runner.run().status == "done" and runner.variables == {"x": 103}


def test_line_is_the_call_while_waiting_inside_a_function(clock):
    """While a script waits inside a module function, its line is that call's line, step after step (and after a
    save and restore), not the enclosing block's or an earlier call's."""
    source = 'begin( description="build" )\n  a = 1\n  demo.ping()\n  demo.count( upto=2 )\n  delay( seconds=5 )\nend\n'
    runner = runner_for(source, clock=clock)
    outcome = runner.run()
    assert (outcome.status, outcome.line, runner.line) == ("waiting", 3, 3)
    runner.provide_result(outcome.task["cookie"], None)
    lines = []
    for _ in range(3):
        outcome = runner.run()
        lines.append((outcome.status, outcome.line, runner.line))
        runner = Runner.from_state(source, runner.state(), make_modules({}), clock=clock)
    assert lines == [("yielded", 4, 4), ("yielded", 4, 4), ("waiting", 5, 5)]
    assert (runner.run().line, runner.line) == (5, 5), "the delay, resumed in a fresh runner, is still at its line"


def test_remote_function_waits_for_its_result():
    """A remote call produces a task; the result (for the current cookie) becomes the call's value."""
    cookies = iter(["c1", "c2", "c3"])
    runner = runner_for("x = demo.power_on( port=3 )\ny = x . '!'", cookie_factory=lambda: next(cookies))
    outcome = runner.run()
    assert outcome.status == "waiting"
    assert outcome.task == {"module": "demo", "function": "power_on", "parameters": {"port": 3, "state": "on"},
                            "cookie": "c1"}  # fmt: skip
    assert runner.run().task["cookie"] == "c1", "waiting again reports the same task"
    with pytest.raises(StaleCookieError):
        runner.provide_result("c0", {"state": "off"})
    runner.provide_result("c1", {"state": "on"})
    with pytest.raises(StaleCookieError):
        runner.provide_result("c1", {"state": "again"})
    assert runner.run().status == "done"
    assert runner.variables == {"x": "on", "y": "on!"}


def test_failed_task_is_a_resumable_error_and_reset_redispatches():
    """provide_error: the step ends in error (kind remote); reset() sends the task again, new cookie."""
    runner = runner_for("x = demo.ping( host='a' )")
    first = runner.run().task
    runner.provide_error(first["cookie"], "host unreachable")
    outcome = runner.run()
    assert outcome.status == "error"
    assert outcome.error == {"kind": "remote", "message": "host unreachable", "line": 1, "column": 5}
    runner.reset()
    second = runner.run().task
    assert second["cookie"] != first["cookie"] and second["parameters"] == {"host": "a"}
    with pytest.raises(StaleCookieError):
        runner.provide_result(first["cookie"], "late")
    runner.provide_result(second["cookie"], "pong")
    assert runner.run().status == "done" and runner.variables == {"x": "pong"}


def test_rollback_dispatches_the_rollback_task_then_the_task_again():
    """rollback(): new cookie, the rollback task; once it is done the original task is dispatched again."""
    runner = runner_for("x = demo.power_on( port=7 )")
    task = runner.run().task
    runner.provide_error(task["cookie"], "stuck")
    runner.run()
    runner.rollback()
    rollback = runner.run()
    assert rollback.task["function"] == "rollback_power_on" and rollback.task["parameters"] == {"port": 7}
    assert rollback.message == "Waiting for rollback of demo.power_on"
    runner.provide_result(rollback.task["cookie"], None)
    again = runner.run().task
    assert again["function"] == "power_on" and len({task["cookie"], rollback.task["cookie"], again["cookie"]}) == 3
    runner.provide_result(again["cookie"], {"state": "on"})
    assert runner.run().status == "done"


def test_rollback_only_where_allowed():
    """Functions without a rollback, and calls that have not failed, refuse rollback()."""
    runner = runner_for("x = demo.ping()")
    task = runner.run().task
    with pytest.raises(NotAllowedError):
        runner.rollback()
    runner.provide_error(task["cookie"], "no")
    runner.run()
    with pytest.raises(NotAllowedError):
        runner.rollback()


def test_remote_call_inside_an_expression_keeps_evaluation_order():
    """Values evaluated before a remote call survive the wait (they are on the saved stack)."""
    runner = runner_for("log = [ 1 ]\nappend( array=log, value=demo.ping() )\nx = [ 'a', demo.ping() ]")
    for answer in ("first", "second"):
        task = runner.run().task
        state = runner.state()
        runner = Runner.from_state(runner.source, state, make_modules({}))
        runner.provide_result(task["cookie"], answer)
    assert runner.run().status == "done"
    assert runner.variables == {"log": [1, "first"], "x": ["a", "second"]}


def test_module_functions_are_referenced_by_name_in_state():
    """The saved state names the module and function only; another process resolves them again."""
    import json

    runner = runner_for("x = demo.count( upto=2 )")
    runner.run()
    state = json.loads(json.dumps(runner.state()))
    assert state["call"]["module"] == "demo" and state["call"]["function"] == "count"
    restored = Runner.from_state(runner.source, state, make_modules({}))
    restored.run()
    assert restored.run().status == "done" and restored.variables == {"x": 2}


def test_a_task_that_cannot_be_built_is_built_again_on_reset():
    """A Remote whose task() raises a resumable error ends the step in error; reset() builds the task again
    (refusing, with the script left in error, while it still cannot be built); then the call completes."""
    from tscript import ScriptError

    room = {"free": False}

    def place():
        if not room["free"]:
            raise ScriptError("no host has room")
        return {"host": "kvm1"}

    module = Module("vm")
    module.add_function("create", Remote(task=place))
    runner = Runner("x = vm.create()", [module])
    outcome = runner.run()
    assert outcome.status == "error" and outcome.error["message"] == "no host has room"
    with pytest.raises(NotAllowedError, match="no host has room"):
        runner.reset()
    assert runner.status == "error"
    room["free"] = True
    runner.reset()
    task = runner.run().task
    assert task["parameters"] == {"host": "kvm1"}
    runner.provide_result(task["cookie"], "made")
    assert runner.run().status == "done" and runner.variables == {"x": "made"}


def test_check_warns_about_unknown_functions_and_arguments():
    """Against described modules, check() warns (never errors) about unknown modules, functions and arguments."""
    from tscript import Module, Remote, check

    foundation = Module("foundation")
    foundation.add_function("power_on", Remote(task=lambda: {}))
    foundation.add_function("set_boot", Remote(task=lambda device, persistent=False: {}))
    foundation.add_function("anything", Remote())
    iputils = Module("iputils")
    iputils.add_function("port_check", Remote(task=lambda port, address=None, timeout=5: {}))
    source = (
        "foundation.power_onn()\nx = iputil.port_check( port=22 )\nfoundation.set_boot( devce='pxe' )\n"
        "foundation.power_on( wait=1 )\ny = config.anything\nfoundation.set_boot( device='disk' )\n"
        "foundation.anything( a=1 )\niputils.port_check( port=22, timeout=3 )\n"
        "foundation.set_boot( device='pxe',\n                     persistant=true )\n"
    )
    found = check(source, modules=[foundation, iputils, "config"], warnings=True)
    assert [(p.severity, p.line, p.column, p.message) for p in found] == [
        ("warning", 1, 1, "Module 'foundation' has no function 'power_onn' (did you mean 'power_on'?)"),
        ("warning", 2, 5, "Unknown module 'iputil' (did you mean 'iputils'?)"),
        ("warning", 3, 22, "foundation.set_boot() has no parameter 'devce' (it takes device, persistent)"),
        ("warning", 4, 22, "foundation.power_on() has no parameter 'wait' (it takes no arguments)"),
        ("warning", 10, 22, "foundation.set_boot() has no parameter 'persistant' (it takes device, persistent)"),
    ]
    # the caret is under the keyword, on its own line of a call written over several lines
    assert (found[-1].source_line, found[-1].caret) == ("                     persistant=true )", " " * 21 + "^")
    assert check(source, modules=[foundation, iputils, "config"]) == []


def test_a_remote_function_can_go_on_in_steps_after_its_task(clock):
    """A Remote with `then`: its task first, then the Steps that follow get the task's (converted) result and give
    the call's value, step after step, across a save and restore; an error in them is resumable, and a reset goes on
    with them (the task is not sent again)."""
    store = {"fail": True}

    def step(state):
        if store.pop("fail", False):
            raise ScriptError("not yet")
        if state["seen"] < 2:
            return Step.more(f"after {state['result']}", {**state, "seen": state["seen"] + 1})
        return Step.finish(f"{state['result']} x{state['seen']}")

    def modules():
        machine = Module("machine")
        then = Steps(start=lambda result: {"result": result, "seen": 0}, step=step)
        machine.add_function("boot", Remote(task=lambda: {"go": 1}, result=lambda v: v["state"], then=then))
        return [machine]

    source = "x = machine.boot()\ny = 1"
    runner = Runner(source, modules=modules(), clock=clock, cookie_factory=lambda: "k1")
    outcome = runner.run()
    assert (outcome.status, outcome.task["function"]) == ("waiting", "boot")
    runner.provide_result("k1", {"state": "on"})
    outcome = runner.run()
    assert (outcome.status, outcome.error["kind"], outcome.error["message"]) == ("error", "script_error", "not yet")
    runner.reset()
    messages = []
    for _ in range(2):
        messages.append(runner.run().message)
        runner = Runner.from_state(source, runner.state(), modules(), clock=clock)
    assert messages == ["after on", "after on"]
    assert runner.run().status == "done" and runner.variables == {"x": "on x2", "y": 1}
