"""Platform settings: per-tenant policy overrides, persisted and validated on write."""

from travelcore.settings.model import PlatformSettings
from travelcore.settings.ports import PlatformSettingsRepository, SettingsUnitOfWork
from travelcore.settings.service import PlatformSettingsService

__all__ = [
    "PlatformSettings",
    "PlatformSettingsRepository",
    "PlatformSettingsService",
    "SettingsUnitOfWork",
]
