"""mkdocs hook: the command-line reference is generated from the typer app at build time,
so it always matches the installed ``airegime`` command (``docs/cli.md`` holds the
marker it replaces)."""

from __future__ import annotations

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    import click
    import typer
    from typer.cli import get_docs_for_click

    from airegime.cli import app

    command = typer.main.get_command(app)
    ctx = click.Context(command, info_name="airegime")
    text = get_docs_for_click(obj=command, ctx=ctx, name="airegime", title="airegime")
    # one level down: the page has its own title
    text = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
    return markdown.replace(MARKER, text)
