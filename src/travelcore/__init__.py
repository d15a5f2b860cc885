"""travelcore: a hexagonal domain library for travel and activity bookings.

The kernel's names are re-exported here; each bounded context (``travelcore.ledger``,
``travelcore.booking``, ...) exports its own public API from its package.
"""

from travelcore.kernel import *  # noqa: F403
from travelcore.kernel import __all__ as _kernel_all

__version__ = "0.1.0"

__all__ = ["__version__", *_kernel_all]
