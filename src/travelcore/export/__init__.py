"""Data export: everything the platform holds about a parent and their children, as JSON."""

from travelcore.export.model import SECTIONS, DataExport, ExportStatus
from travelcore.export.ports import DataExportRepository, ExportUnitOfWork, PersonalData
from travelcore.export.service import FORMAT, DataExportService, expire_due

__all__ = [
    "FORMAT",
    "SECTIONS",
    "DataExport",
    "DataExportRepository",
    "DataExportService",
    "ExportStatus",
    "ExportUnitOfWork",
    "PersonalData",
    "expire_due",
]
