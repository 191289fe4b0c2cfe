"""Config templates are bounded: huge values, endless loops and long renders are refused with a clear error."""

import threading

import pytest

from contractor.configuration import ConfigError
from contractor.configuration.sandbox import MAX_SIZE, BoundedEnvironment, TemplateBoundError
from contractor.configuration.templating import render_config


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 3 ** (3 ** 16) }}", "bound of 3,322 bits"),
        ("{{ 2 ** 4000 * 2 ** 4000 }}", "bits"),
        ("{{ 'a' * 10 ** 9 }}", "Repeating a str 1,000,000,000 times"),
        ("{{ [1, 2] * 10 ** 7 }}", "Repeating a list"),
        ("{{ range(10 ** 10) | list }}", "range() of 10,000,000,000 numbers"),
        ("{{ 'x'.ljust(10 ** 9) }}", "ljust()"),
        ("{{ 'a' | center(10 ** 9) }}", "center"),
        ("{{ '{:>999999999}'.format(1) }}", "format width"),
        ("{{ '%0999999999d' % 1 }}", "format width"),
        ("{{ '%(a)999999999s' % {'a': 1} }}", "format width"),
        ("{{ '%.999999999f' % 1.5 }}", "format width"),
        ("{{ '%*d' | format(10 ** 9, 1) }}", "format width"),
        ("{{ ('a' * 1000) | replace('a', 'b' * 10000) }}", "replace"),
        ("{{ ('a' * 10000).join(range(1000) | map('string')) }}", "join()"),
        ("{{ lipsum(10 ** 6) }}", "lipsum()"),
        # Repeated doubling: each step is small, the value is not.
        ("{% set ns = namespace(s='a') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "A value"),
        ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s * 2 %}{% endfor %}", "would be"),
        ("{% set ns = namespace(l=[1]) %}{% for i in range(60) %}{% set ns.l = [ns.l, ns.l] %}{% endfor %}", "A value"),
        # Work and output, not size: nested loops and a macro writing in a loop.
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "500,000 steps"),
        ("{% macro m(s) %}{% for i in range(99999) %}{{ s }}{% endfor %}{% endmacro %}{{ m('x' * 10 ** 5) }}", "wrote"),
    ],
)
def test_templates_that_would_make_huge_values_or_run_long_are_refused(template, message):
    """Each is refused before it computes much, with ConfigError naming the key and the bound."""
    with pytest.raises(ConfigError, match=r"Config value 'v' could not be rendered") as caught:
        render_config({"v": template})
    assert caught.value.bound
    assert message in str(caught.value)


def test_ordinary_templates_still_render():
    """Arithmetic, formatting, loops, joins and filters within the bounds render as before."""
    template = (
        "{{ 2 ** 64 }}|{{ 'ab' * 3 }}|{{ '%5d' % 3 }}|{{ '{}-{}'.format(1, 'b') }}|{{ range(3) | join(',') }}|"
        "{% for k, v in {'a': 1}.items() %}{{ k }}{{ v }}{% endfor %}|{{ (names | map('upper') | list)[1] }}|"
        "{{ ('x' * 1000) | length }}"
    )
    rendered = render_config({"v": template, "names": ["a", "b"]})["v"]
    assert rendered == "18446744073709551616|ababab|    3|1-b|0,1,2|a1|B|1000"


def test_a_value_at_the_size_bound_is_allowed_and_one_past_it_is_not():
    """The bound is on what is made: exactly MAX_SIZE characters pass, one more is refused."""
    assert len(render_config({"v": f"{{{{ 'a' * {MAX_SIZE} }}}}"})["v"]) == MAX_SIZE
    with pytest.raises(ConfigError, match="larger than the template bound"):
        render_config({"v": f"{{{{ 'a' * {MAX_SIZE + 1} }}}}"})


def test_templates_may_not_change_lists_or_dicts():
    """The sandbox is the immutable one: `append` on a list is refused (it could grow a value without an operator)."""
    with pytest.raises(ConfigError, match="unsafe"):
        render_config({"v": "{% set l = [1] %}{{ l.append(2) }}"})


def test_a_macro_calling_itself_forever_is_refused():
    with pytest.raises(ConfigError, match="call themselves too deeply"):
        render_config({"v": "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}"})


def test_the_time_limit_holds_in_a_thread_that_is_not_the_main_one():
    """The clock is read at every step, not by a signal, so it stops a render in any thread (gunicorn's, say)."""
    outcome = {}

    def render():
        env = BoundedEnvironment(seconds=0)
        try:
            env.from_string("{% for i in range(10) %}{{ i }}{% endfor %}").render()
        except TemplateBoundError as error:
            outcome["error"] = str(error)

    worker = threading.Thread(target=render)
    worker.start()
    worker.join()
    assert outcome["error"] == "The templates took longer than the time limit of 0 s"


def test_one_budget_covers_every_key_of_a_config():
    """Many keys each just under the step bound cannot add up to a stall: the steps are counted for the config."""
    loop = "{% for i in range(50000) %}{% for j in range(2) %}{% endfor %}{% endfor %}"
    render_config({"k": loop})
    with pytest.raises(ConfigError, match="500,000 steps"):
        render_config({f"k{n}": loop for n in range(4)})
