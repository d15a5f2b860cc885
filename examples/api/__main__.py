"""``python -m examples.api [--port 8000] [--sample-data] [--otel-console]``: the HTTP API on
127.0.0.1 with uvicorn, on the embedded PostgreSQL (or ``DATABASE_URL``)."""

from __future__ import annotations

import argparse
import os

import uvicorn

from examples.api.app import create_app
from examples.api.otel import console_telemetry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.api", description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--sample-data", action="store_true", help="seed a demo tenant")
    parser.add_argument(
        "--otel-console",
        action="store_true",
        default=os.environ.get("TRAVELCORE_OTEL_CONSOLE") == "1",
        help="print OpenTelemetry spans and metrics (or TRAVELCORE_OTEL_CONSOLE=1)",
    )
    args = parser.parse_args(argv)
    if args.otel_console:
        console_telemetry()
    uvicorn.run(create_app(sample_data=args.sample_data), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
