"""Two costs that every Hydra composition pays again, paid once a process.

A composition takes Hydra 1.3.8 (pinned exactly in pyproject.toml) about 0.2 s, and a
sweep, a calibration or the test suite composes hundreds of configs. Two parts of that
time redo the same work each time (cProfile over 20 compositions of the default config):

- **The schema store copied.** Each composition deep-copies its config repository, and
  with it the process's ConfigStore and every schema in it, channelsim's with its
  hundreds of fields (about 13% of the time). Hydra only reads that copy, and every
  source it builds during the composition holds the store itself
  (``ConfigStore.instance()``): a copy of the store is now the store. Loading a schema
  from the store still copies that schema, as before.
- **The same YAML parsed again.** Each composition parses every preset file it uses
  with PyYAML's pure-Python parser (about 22%). A text's parse is now kept: the same
  text gives a copy of the same objects, so a file that changes is parsed anew.

`install` is idempotent; `channelsim.config.compose` calls it before Hydra composes.
"""

from __future__ import annotations

import copy
import io
import os
import pathlib
from typing import IO, Any

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf._utils import get_yaml_loader

PARSES_KEPT = 256  # distinct texts kept (a few dozen preset files, and the user's own)
OMEGACONF_LOAD = OmegaConf.load  # OmegaConf's own, which `load` stands in for
_parsed: dict[str | bytes, Any] = {}
_MISSING = object()
_installed = False


def _the_store(self: ConfigStore, memo: dict[int, Any]) -> ConfigStore:
    return self


def parsed(text: str | bytes, name: str) -> Any:
    """The objects PyYAML builds from `text` with OmegaConf's loader, a fresh copy; a
    parse error names the file `name`, as it would reading the file."""
    obj = _parsed.get(text, _MISSING)  # one look: another thread may clear the dict
    if obj is _MISSING:
        stream = io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text)
        stream.name = name
        obj = yaml.load(stream, Loader=get_yaml_loader())
        if len(_parsed) >= PARSES_KEPT:
            _parsed.clear()
        _parsed[text] = obj
    return copy.deepcopy(obj)


def load(file_: str | pathlib.Path | IO[Any]) -> DictConfig | ListConfig:
    """`OmegaConf.load`, with the parse of each text kept."""
    if isinstance(file_, (str, pathlib.Path)):
        name = os.path.abspath(file_)
        with open(name, encoding="utf-8") as f:
            text = f.read()
    elif getattr(file_, "read", None):
        name = str(getattr(file_, "name", "<file>"))
        text = file_.read()
    else:
        raise TypeError("Unexpected file type")
    obj = parsed(text, name)
    if obj is not None and not isinstance(obj, (list, dict, str)):
        raise OSError(f"Invalid loaded object type: {type(obj).__name__}")
    return OmegaConf.create() if obj is None else OmegaConf.create(obj)


def install() -> None:
    global _installed
    if not _installed:
        ConfigStore.__deepcopy__ = _the_store  # type: ignore[attr-defined]
        OmegaConf.load = staticmethod(load)  # type: ignore[method-assign]
        _installed = True
