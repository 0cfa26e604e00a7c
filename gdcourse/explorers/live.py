"""The live front-end: an anywidget that draws with the page's code and asks the kernel for data.

A move of one step (an arrow key on a slider) draws at once: after every move the kernel sends the
data of the settings one step away on the control that moved (on every control when a view is first
drawn), which the front-end keeps (the last :data:`KEEP`); a setting it does not hold waits for the
kernel's answer (the first press on another slider, a jump).
"""
from __future__ import annotations

import json

import anywidget
import traitlets

from .render import CODE, CSS

#: How many settings the front-end keeps. The kernel remembers which it sent, oldest first, and
#: forgets them in the order the front-end drops them, so the two agree on what the page holds.
KEEP = 256


class LiveExplorer(anywidget.AnyWidget):
    """The explorer in Jupyter: every control change reaches the kernel, which sends new curves."""

    _esm = CODE + "\nexport default { render };\n"
    _css = CSS
    spec = traitlets.Dict().tag(sync=True)
    blob = traitlets.Bytes().tag(sync=True)   # the data, as JSON in a binary buffer
    key = traitlets.Unicode().tag(sync=True)  # the setting ``blob`` belongs to
    index = traitlets.Dict().tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)

    def __init__(self, explorer):
        explorer.warm()
        data = explorer.data()
        spec = explorer.picture(page=False)
        spec["styles"].update(explorer._styles_for(data))
        spec["keep"] = KEEP
        super().__init__(spec=spec, blob=_blob(data), key=self._key(explorer, explorer.index),
                         index=dict(explorer.index))
        self.explorer = explorer
        self._sent = {}
        self.observe(self._changed, names="index")
        self.on_msg(self._message)

    @staticmethod
    def _key(explorer, index):
        # The front-end builds the same string (render.CODE, ``keyOf``).
        return "&".join(f"{n}={int(index[n])}" for n, c in explorer.controls.items() if not c.truncates)

    def _changed(self, change):
        new = {k: int(v) for k, v in change["new"].items()}
        moved = [n for n, j in new.items() if self.explorer.index.get(n) != j]
        self.explorer.index.update(new)
        data = self.explorer.data()
        missing = self.explorer._styles_for(data).keys() - self.spec["styles"].keys()
        with self.hold_sync():
            if missing:
                self.spec = {**self.spec, "styles": {**self.spec["styles"], **self.explorer._styles_for(data)}}
            self.key = self._key(self.explorer, self.explorer.index)
            self.blob = _blob(data)
        self._send_neighbours(moved or None)     # None: the kernel moved them (explorer.set), maybe several

    def _message(self, _, content, buffers):
        if content.get("want") == "neighbours":   # a new view: it holds nothing yet
            self._sent.clear()
            self._send_neighbours()

    def neighbours(self, names=None):
        """The settings one step away from the current one on each control of ``names`` (default: all;
        truncating ones need no data)."""
        out = []
        for name, c in self.explorer.controls.items():
            if c.truncates or (names is not None and name not in names):
                continue
            for step in (-1, 1):
                j = self.explorer.index[name] + step
                if 0 <= j < len(c.values):
                    out.append({**self.explorer.index, name: j})
        return out

    def _send_neighbours(self, names=None):
        for index in self.neighbours(names):
            key = self._key(self.explorer, index)
            if key in self._sent:
                continue
            data = self.explorer.data(index)
            self.send({"key": key, "styles": self.explorer._styles_for(data)}, buffers=[_blob(data)])
            self._sent[key] = True
            if len(self._sent) > KEEP:
                self._sent.pop(next(iter(self._sent)))

    @property
    def data(self):
        """The curves and status lines the front-end draws now."""
        return json.loads(self.blob)


def _blob(data):
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
