"""travelcore's spans and metrics on OpenTelemetry, through ``opentelemetry-api`` only.

.. code-block:: python

    from travelcore_adapters import telemetry

    telemetry.install()  # the library's spans go to the host's tracer and meter providers

Until the host configures an OpenTelemetry SDK the API records nothing. Needs the
``telemetry`` extra.
"""

from travelcore_adapters.telemetry.otel import OpenTelemetry, install, uninstall

__all__ = ["OpenTelemetry", "install", "uninstall"]
