"""``ssbands web``: the interface-design tool in the browser (a local server and its page)."""

from __future__ import annotations

import click

from .options import FINITE_FLOAT, library_option


@click.command(name="web")
@click.argument("stack_file", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="port to listen on (the next free one if busy; 0: any)")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on; anything but loopback exposes the server to the network")
@click.option("--no-browser", is_flag=True, help="do not open the page in the default browser")
@click.option("--ocv", type=FINITE_FLOAT, default=None, help="initial OCV, V [default: middle of the range]")
@click.option("--screen", "screen_dir", type=click.Path(file_okay=False), default=None,
              help="a screen folder (ssbands screen --out DIR) for the screening explorer")
@library_option()
def web(stack_file, port, host, no_browser, ocv, screen_dir, library_file):
    """Serve the interface-design page for STACK_FILE (default: the built-in Fuller 2021 cell).

    The page re-solves the band diagram while a slider moves, overlays KPFM data, explores screens
    and keeps its whole state in the URL. It works offline: every asset ships in the package.

    \f

    Parameters
    ----------
    stack_file : str or None
        The initial stack TOML file.
    port : int
        Port to listen on.
    host : str
        Address to listen on (loopback by default).
    no_browser : bool
        Do not open a browser.
    ocv : float or None
        Initial OCV, V.
    screen_dir : str or None
        Screen folder for the explorer.
    library_file : str or None
        User library YAML file.
    """  # noqa: D301 - the form feed ends the help text click shows
    try:
        from ..web.server import load_config, serve
    except ImportError as exc:
        raise click.ClickException(f"'ssbands web' needs the web extra: pip install 'ssbands[web]' ({exc})") from None
    from ..web.security import is_loopback

    if not is_loopback(host):
        click.echo(f"ssbands: warning: --host {host} is not a loopback address: anyone who can reach this machine "
                   "on the network can use the page and its server (no authentication)", err=True)
    config = load_config(stack_file, library_file, screen_dir=screen_dir, host=host, ocv=ocv)
    serve(config, host=host, port=port, open_browser=not no_browser)
