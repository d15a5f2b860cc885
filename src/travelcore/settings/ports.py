"""The platform settings repository port and the unit of work it needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from travelcore.kernel import TenantId, UnitOfWork
from travelcore.settings.model import PlatformSettings


class PlatformSettingsRepository(Protocol):
    """The unit of work's tenant's one settings record."""

    def add(self, settings: PlatformSettings) -> None: ...

    def get(self) -> PlatformSettings:
        """``NotFound`` while the tenant has none."""
        ...

    def get_for_update(self) -> PlatformSettings:
        """``get`` for a write (see :func:`travelcore.kernel.repository`'s locking reads):
        concurrent writes of the record, its first one included, run one after another."""
        ...

    def save(self, settings: PlatformSettings) -> None: ...


class SettingsUnitOfWork(UnitOfWork, Protocol):
    @property
    def platform_settings(self) -> PlatformSettingsRepository: ...


SettingsUowFactory = Callable[[TenantId], SettingsUnitOfWork]
