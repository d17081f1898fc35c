"""Every aiogram object's private attributes set up without pydantic 2.13's per-call import.

Each Telegram object aiogram builds (an update's parts, every answer of the Bot API, every keyboard
button we make) has one private attribute (``_bot``), which pydantic sets up per instance through
``init_private_attributes``. In pydantic 2.13 that goes through ``resolve_default_value``, whose
``from ._utils import smart_deepcopy`` runs as a relative import on every call: about 1.4 µs per object,
and 20-30 µs for one message answer with a six-button keyboard (out of about 60-75 µs for the whole
validation). pydantic 2.14 imports it once, but aiogram 3.31 requires pydantic < 2.14.

``install()`` puts a function doing the same thing into pydantic's module, where the wrapper pydantic
made for every class with its own ``model_post_init`` (all of aiogram's types) looks it up on each call.
It does what pydantic's does for attributes without a default factory (a deep copy of the default, none
for no default) and hands any instance with a default factory to pydantic's own function. It is installed
on pydantic 2.13 only: any other version keeps its own (remove this module once aiogram allows 2.14).
"""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic._internal import _model_construction
from pydantic._internal._utils import smart_deepcopy
from pydantic_core import PydanticUndefined

PYDANTIC_ORIGINAL = _model_construction.init_private_attributes


def init_private_attributes(self: BaseModel, context: Any, /) -> None:
    if getattr(self, "__pydantic_private__", None) is not None:
        return
    private: dict[str, Any] = {}
    for name, attribute in self.__private_attributes__.items():
        if attribute.default_factory is not None:
            PYDANTIC_ORIGINAL(self, context)  # a factory may want the validated data: pydantic's own way
            return
        if attribute.default is not PydanticUndefined:
            private[name] = smart_deepcopy(attribute.default)
    object.__setattr__(self, "__pydantic_private__", private)


def install() -> bool:
    """Use ``init_private_attributes`` on pydantic 2.13 (idempotent); True when it is in use."""
    if pydantic.VERSION.startswith("2.13."):
        _model_construction.init_private_attributes = init_private_attributes
    return _model_construction.init_private_attributes is init_private_attributes
