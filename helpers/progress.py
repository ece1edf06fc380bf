"""Progress bars that leave readable text behind in saved notebooks.

``from helpers.progress import tqdm`` is a drop-in for ``from tqdm.auto import tqdm``. In a
Jupyter kernel tqdm draws an ipywidgets bar; once the kernel is gone (a reopened notebook, an
autograded notebook, a feedback page) such a bar is an "Error displaying widget: model not
found". This bar is displayed under a display id and, when it closes, replaces itself by one
line of text (the final ``tqdm`` meter: count, time, rate, postfix), which is what the saved
notebook keeps. A bar with ``leave=False`` leaves an empty line. Outside a Jupyter kernel (a
script, pytest) it is ``tqdm.auto.tqdm`` itself: a text bar.
"""

from __future__ import annotations

from tqdm.auto import tqdm as _auto_tqdm

try:  # tqdm.notebook needs IPython (and ipywidgets to draw; tqdm.auto checks that)
    from tqdm.notebook import tqdm as _notebook_tqdm
except ImportError:  # pragma: no cover - tqdm always ships tqdm.notebook
    _notebook_tqdm = None

__all__ = ["tqdm", "trange", "final_line", "WIDGET_BARS"]

#: Width of the text line left behind (the bar shrinks to fit the counters and the postfix).
TEXT_COLUMNS = 100


def final_line(bar) -> str:
    """The one-line text form of a tqdm bar (what a closed bar leaves in the notebook)."""
    meter = dict(bar.format_dict)
    meter["ncols"] = TEXT_COLUMNS
    return bar.format_meter(**meter)


if _notebook_tqdm is not None and issubclass(_auto_tqdm, _notebook_tqdm):
    from IPython.display import display as _display

    class tqdm(_notebook_tqdm):  # noqa: N801 (tqdm's own name, a drop-in)
        """``tqdm.notebook.tqdm`` that is replaced by its final text line when it closes."""

        def __init__(self, *args, **kwargs):
            display_here = kwargs.pop("display", True)
            self._handle = None
            kwargs = {**kwargs, "display": False}  # displayed below, under a display id
            super().__init__(*args, **kwargs)
            if not self.disable and display_here and self.delay <= 0:
                self._show()

        def _show(self) -> None:
            self._handle = _display(self.container, display_id=True)
            self.displayed = True

        def display(self, *args, check_delay=True, **kwargs):
            # A bar with delay= appears once the delay has passed: under a display id too.
            if check_delay and self.delay > 0 and not self.displayed:
                self._show()
            return super().display(*args, check_delay=check_delay, **kwargs)

        def close(self):
            if self.disable or getattr(self, "_text_left", False):
                return super().close()
            super().close()
            self._text_left = True
            if self._handle is None:
                return
            unfinished = bool(self.total) and self.n < self.total
            text = final_line(self) if (self.leave or unfinished) else ""
            # Replaces the widget in the live notebook and in the saved file (and in nbclient's
            # copy while autograding): no widget model is needed to read it afterwards.
            self._handle.update({"text/plain": text}, raw=True)
            try:
                self.container.close()  # the widget model is no longer needed
            except Exception:  # pragma: no cover - a front-end already gone
                pass

    WIDGET_BARS = True
else:
    tqdm = _auto_tqdm
    WIDGET_BARS = False


def trange(*args, **kwargs):
    """``tqdm(range(*args), **kwargs)``, like ``tqdm.auto.trange``."""
    return tqdm(range(*args), **kwargs)
