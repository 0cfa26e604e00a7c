"""The live front-end: an anywidget that draws with the page's code and asks the kernel for data."""
from __future__ import annotations

import json

import anywidget
import traitlets

from .render import CODE, CSS


class LiveExplorer(anywidget.AnyWidget):
    """The explorer in Jupyter: every control change reaches the kernel, which sends new curves."""

    _esm = CODE + "\nexport default { render };\n"
    _css = CSS
    spec = traitlets.Dict().tag(sync=True)
    blob = traitlets.Bytes().tag(sync=True)   # the data, as JSON in a binary buffer
    index = traitlets.Dict().tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)

    def __init__(self, explorer):
        explorer.warm()
        data = explorer.data()
        spec = explorer.picture(page=False)
        spec["styles"].update(explorer._styles_for(data))
        super().__init__(spec=spec, blob=_blob(data), index=dict(explorer.index))
        self.explorer = explorer
        self.observe(self._changed, names="index")

    def _changed(self, change):
        new = {k: int(v) for k, v in change["new"].items()}
        self.explorer.index.update(new)
        data = self.explorer.data()
        missing = self.explorer._styles_for(data).keys() - self.spec["styles"].keys()
        if missing:
            self.spec = {**self.spec, "styles": {**self.spec["styles"], **self.explorer._styles_for(data)}}
        self.blob = _blob(data)

    @property
    def data(self):
        """The curves and status lines the front-end draws now."""
        return json.loads(self.blob)


def _blob(data):
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
