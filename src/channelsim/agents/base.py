"""Row-backed agents: a Mesa agent reads and writes its row of the model's columns."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np


class Column:
    """A descriptor exposing one entry of a column array as an agent attribute."""

    def __init__(self, table: str, name: str | None = None) -> None:
        self.table = table
        self.name = name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        value = getattr(getattr(agent.model, self.table), self.name)[agent.row]
        return value.item() if isinstance(value, np.generic) else value

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(getattr(agent.model, self.table), self.name)[agent.row] = value


class RowAgent(mesa.Agent):
    """An agent whose state lives in row `row` of one of the model's column tables."""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row
