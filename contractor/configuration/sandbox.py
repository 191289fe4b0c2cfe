"""The bounded Jinja2 sandbox config templates render in: no template makes a huge value or runs long.

Jinja's own sandbox stops templates reaching Python internals but lets them compute without limit:
`{{ 3 ** (3 ** 16) }}` or `{{ 'a' * 10 ** 9 }}` would hold a foreman or web worker for minutes.
`BoundedEnvironment` refuses, before it computes, an operation whose result would pass the bounds
(an integer of more than MAX_INT_BITS bits; a string, list or mapping of more than MAX_SIZE
characters or items, nested contents counted), checks every value an operator, call, filter,
`~` or literal makes, and counts the work a render does: each loop turn, call and operator is a
step (at most MAX_STEPS), every character written out counts (at most MAX_OUTPUT), and the time
spent rendering (`seconds`; compiling is not counted) is read at each step, so the limit holds in
any thread, with no signal. One environment's budget covers everything rendered with it (a whole config).
"""

import re
import time
from collections.abc import Iterable, Iterator
from functools import wraps

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter, SecurityError
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

MAX_SIZE = 1_000_000
MAX_INT_BITS = 3_322  # about 1,000 decimal digits
MAX_RANGE = 100_000
MAX_STEPS = 500_000
MAX_OUTPUT = 10_000_000
SECONDS = 5.0
_REMEMBERED = 64  # containers whose weight is remembered (and kept alive) at once; more would hold garbage

_PRINTF_NUMBERS = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill"}


class TemplateBoundError(SecurityError):
    """A template went past a bound: a value too large, too many steps or too much output, or too long a render."""


def _too_large(what: str) -> TemplateBoundError:
    return TemplateBoundError(f"{what} would be larger than the template bound of {MAX_SIZE:,} characters or items")


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every output buffer (macros, `{% set %}` blocks, filter and call blocks) counted."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")


class _Bounding(NodeTransformer):
    """Routes loops, `~` and list, tuple and dict literals through the environment's checks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = _environment_call("loop_items", node.iter)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        return _environment_call("checked", self.generic_visit(node))

    def visit_List(self, node: nodes.List) -> nodes.Node:
        return _environment_call("checked", self.generic_visit(node))

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        return _environment_call("checked", self.generic_visit(node))

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        node = self.generic_visit(node)
        return node if node.ctx != "load" else _environment_call("checked", node)


def _environment_call(name: str, argument: nodes.Expr) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=argument.lineno)


class _OutputBuffer(list):
    """A template's output buffer that counts what is written into it against the render's budget."""

    def __init__(self, environment: "BoundedEnvironment"):
        super().__init__()
        self._environment = environment

    def append(self, part) -> None:
        self._environment.written(part)
        super().append(part)

    def extend(self, parts) -> None:
        parts = list(parts)
        for part in parts:
            self._environment.written(part)
        super().extend(parts)


class _BoundedFormatter(SandboxedFormatter):
    def format_field(self, value, format_spec: str):
        _check_numbers_in_spec(format_spec, "A format width")
        return super().format_field(value, format_spec)


class _BoundedEscapeFormatter(SandboxedEscapeFormatter):
    def format_field(self, value, format_spec: str):
        _check_numbers_in_spec(format_spec, "A format width")
        return super().format_field(value, format_spec)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with bounded values, steps, output and time (see the module docstring)."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, *, seconds: float = SECONDS, **options):
        super().__init__(**options)
        self.seconds = seconds
        self.spent = 0.0  # seconds spent rendering, before the render running now
        self._started: float | None = None
        self.steps = 0
        self.output = 0
        self._weights: dict[int, tuple[object, int]] = {}
        self.globals["range"] = self.bounded_range
        self.globals["lipsum"] = self._bounded_lipsum(self.globals["lipsum"])
        self.filters = {name: self._bounded_filter(name, function) for name, function in self.filters.items()}

    # The budget.

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateBoundError(f"The templates took more than the bound of {MAX_STEPS:,} steps")
        if self._started is not None and self.spent + time.monotonic() - self._started >= self.seconds:
            raise TemplateBoundError(f"The templates took longer than the time limit of {self.seconds:g} s")

    def written(self, part) -> None:
        self.output += len(part) if isinstance(part, str) else 1
        if self.output > MAX_OUTPUT:
            raise TemplateBoundError(f"The templates wrote more than the bound of {MAX_OUTPUT:,} characters")

    def output_buffer(self) -> _OutputBuffer:
        return _OutputBuffer(self)

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """Join a template's top-level output (Template.render calls this), counting it as it comes."""
        kept = []
        outer, self._started = self._started, time.monotonic()
        try:
            for part in parts:
                self.step()
                self.written(part)
                kept.append(part)
        finally:
            if outer is None:
                self.spent += time.monotonic() - self._started
            self._started = outer
        return "".join(kept)

    def checked(self, value):
        """`value`, if it is within the size bounds; counts as a step."""
        self.step()
        if isinstance(value, int) and not isinstance(value, bool):
            if value.bit_length() > MAX_INT_BITS:
                raise TemplateBoundError(f"A number would be larger than the template bound of {MAX_INT_BITS:,} bits")
        elif self._weight(value) > MAX_SIZE:
            raise _too_large("A value")
        return value

    def _weight(self, value) -> int:
        """Characters plus items, nested contents included; shared contents count each time they appear."""
        if isinstance(value, str | bytes):
            return len(value)
        if isinstance(value, Namespace):
            value = value._Namespace__attrs  # type: ignore[attr-defined]
        if not isinstance(value, list | tuple | dict | set | frozenset):
            return 1
        known = self._weights.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        items = list(value.keys()) + list(value.values()) if isinstance(value, dict) else value
        weight = len(value)
        for item in items:
            weight += self._weight(item)
            if weight > MAX_SIZE:
                break
        if len(self._weights) >= _REMEMBERED:
            self._weights.clear()  # a few are remembered: each is kept alive, so its id is not reused meanwhile
        self._weights[id(value)] = (value, weight)
        return weight

    def loop_items(self, iterable) -> Iterator:
        """A for loop's items, a step each."""
        for item in iterable:
            self.step()
            yield item

    # The sandbox's hooks.

    def call_binop(self, context, operator: str, left, right):
        self.step()
        _check_binop(operator, left, right)
        return self.checked(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own spelling, so keywords pass through)
        __self.step()
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes):
            args = _check_string_method(owner, name, args)
        elif isinstance(owner, int) and name == "to_bytes" and args and _large_number(args[0]):
            raise _too_large("to_bytes()")
        return __self.checked(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value):
        """`str.format` and `format_map` of a template, with bounded widths and result (Jinja wraps them at access)."""
        if super().wrap_str_format(value) is None:
            return None
        owner, is_map = value.__self__, value.__name__ == "format_map"

        @wraps(value)
        def bounded(*args, **kwargs):
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            if isinstance(owner, Markup):
                formatter: SandboxedFormatter = _BoundedEscapeFormatter(self, escape=owner.escape)
            else:
                formatter = _BoundedFormatter(self)
            return self.checked(type(owner)(formatter.vformat(owner, args, kwargs)))

        return bounded

    def bounded_range(self, *args) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateBoundError(f"range() of {len(numbers):,} numbers is over the template bound of {MAX_RANGE:,}")
        return numbers

    def _bounded_lipsum(self, lipsum):
        @wraps(lipsum)
        def bounded(n=5, html=True, min=20, max=100):  # noqa: A002 (Jinja's argument names)
            if _large_number(n * max, limit=MAX_SIZE // 10):
                raise _too_large("lipsum()")
            return lipsum(n, html, min, max)

        return bounded

    def _bounded_filter(self, name: str, function):
        check = _FILTER_CHECKS.get(name)

        @wraps(function)  # keeps Jinja's pass_context / pass_environment marks
        def bounded(*args, **kwargs):
            self.step()
            if check is not None:
                value_at = 1 if hasattr(function, "jinja_pass_arg") else 0
                check(*args[value_at:], **kwargs)
            result = function(*args, **kwargs)
            if isinstance(result, Iterator) and not isinstance(result, str):
                return self.loop_items(result)
            return self.checked(result)

        return bounded

    def _parse(self, source, name, filename):
        return _Bounding().visit(super()._parse(source, name, filename))


def _large_number(value, *, limit: int = MAX_SIZE) -> bool:
    return isinstance(value, int) and value > limit


def _check_binop(operator: str, left, right) -> None:
    """Refuse, before computing it, an operator whose result would pass the bounds."""
    ints = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and ints and right > 0 and abs(left) > 1:
        if left.bit_length() * right > MAX_INT_BITS * 2:
            raise TemplateBoundError(f"A number would be larger than the template bound of {MAX_INT_BITS:,} bits")
    elif operator == "*" and ints:
        if left.bit_length() + right.bit_length() > MAX_INT_BITS * 2:
            raise TemplateBoundError(f"A number would be larger than the template bound of {MAX_INT_BITS:,} bits")
    elif operator == "*":
        sequence, times = (left, right) if isinstance(right, int) else (right, left)
        if isinstance(times, int) and isinstance(sequence, str | bytes | list | tuple):
            if len(sequence) * times > MAX_SIZE:
                raise _too_large(f"Repeating a {type(sequence).__name__} {times:,} times")
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right)


def _check_printf(template: str, arguments) -> None:
    for width, precision in _PRINTF_NUMBERS.findall(template):
        for number in (width, precision):
            if number.isdigit() and int(number) > MAX_SIZE:
                raise _too_large("A format width")
    if "*" in template:
        given = arguments if isinstance(arguments, tuple) else (arguments,)
        if any(_large_number(argument) for argument in given):
            raise _too_large("A format width")


def _check_numbers_in_spec(spec: str, what: str) -> None:
    if any(int(number) > MAX_SIZE for number in re.findall(r"\d+", spec)):
        raise _too_large(what)


def _check_string_method(owner, name: str, args: tuple) -> tuple:
    """Refuse a string method call whose result would pass the size bound; returns the arguments to call with."""
    if name in _WIDTH_METHODS and args and _large_number(args[0]):
        raise _too_large(f"{name}()")
    if name == "expandtabs":
        tabsize = args[0] if args else 8
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
        if isinstance(tabsize, int) and len(owner) + tabs * tabsize > MAX_SIZE:
            raise _too_large("expandtabs()")
    if name == "replace" and len(args) >= 2:
        _check_replace(owner, *args)
    if name == "join" and args:
        items = _at_most(args[0], MAX_SIZE)
        if len(owner) * max(len(items) - 1, 0) > MAX_SIZE:
            raise _too_large("join()")
        return (items, *args[1:])
    return args


def _check_replace(value, old, new, count=-1) -> None:
    if not isinstance(value, str | bytes) or not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return
    found = len(value) + 1 if not old else value.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    if len(value) + found * max(len(new) - len(old), 0) > MAX_SIZE:
        raise _too_large("replace()")


def _at_most(iterable, limit: int) -> list:
    items = []
    for item in iterable:
        items.append(item)
        if len(items) > limit:
            raise _too_large("A sequence")
    return items


def _check_center(value, width=80, *rest, **options) -> None:
    if _large_number(width):
        raise _too_large("center")


def _check_indent(value, width=4, *rest, **options) -> None:
    width = options.get("width", width)
    size = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    lines = str(value).count("\n") + 1
    if size * lines > MAX_SIZE:
        raise _too_large("indent")


def _check_format(value, *args, **kwargs) -> None:
    if isinstance(value, str):
        _check_printf(value, tuple(args) or tuple(kwargs.values()))


def _check_join(value, d="", attribute=None) -> None:
    if isinstance(value, list | tuple | str) and isinstance(d, str) and len(d) * max(len(value) - 1, 0) > MAX_SIZE:
        raise _too_large("join")


def _check_replace_filter(value, old, new, count=None) -> None:
    _check_replace(str(value), old, new, -1 if count is None else count)


def _check_wordwrap(value, width=79, break_long_words=True, wrapstring=None, *rest, **options) -> None:
    wrap = options.get("wrapstring", wrapstring) or "\n"
    width = options.get("width", width)
    if isinstance(width, int) and width > 0 and isinstance(wrap, str):
        if len(str(value)) + (len(str(value)) // width + 1) * len(wrap) > MAX_SIZE:
            raise _too_large("wordwrap")


def _check_slice_or_batch(value, count, *rest, **options) -> None:
    if _large_number(count):
        raise _too_large("slice or batch")


def _check_tojson(value, indent=None) -> None:
    if _large_number(indent, limit=64) or (isinstance(indent, str) and len(indent) > 64):
        raise _too_large("tojson's indent")


_FILTER_CHECKS = {
    "center": _check_center,
    "indent": _check_indent,
    "format": _check_format,
    "join": _check_join,
    "replace": _check_replace_filter,
    "wordwrap": _check_wordwrap,
    "slice": _check_slice_or_batch,
    "batch": _check_slice_or_batch,
    "tojson": _check_tojson,
}

__all__ = ["BoundedEnvironment", "TemplateBoundError", "MAX_SIZE", "MAX_INT_BITS", "MAX_STEPS"]
