from examples.ops.cli import cli

cli()
