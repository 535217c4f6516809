"""The ``smartspec`` command line.

One Typer application. Each domain package contributes its commands through a
``register(app)`` function in its own ``_cli`` module, so this file stays a thin router and the
CLI layer only ever calls into the domain packages (never the reverse).
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="smartspec",
    help="smartspec: smart specialisation (S3) evidence, discovery, strategy and monitoring.",
    no_args_is_help=True,
    add_completion=False,
)

@app.callback()
def main() -> None:
    """smartspec: smart specialisation (S3) evidence, discovery, strategy and monitoring."""


#: Modules that contribute commands. Each defines ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: tuple[str, ...] = (
    "smartspec._run",
    "smartspec.data._cli",
    "smartspec.datasets._cli",
    "smartspec.data._nuts_cli",
    "smartspec.discovery._cli",
    "smartspec.store._cli",
    "smartspec.monitoring._cli",
    "smartspec.web._cli",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a module still under construction
            if exc.name != name:
                raise
            continue
        module.register(app)


_register_all()


if __name__ == "__main__":  # pragma: no cover
    app()
