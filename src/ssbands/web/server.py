"""Start the page server: settings from files named on the command line, uvicorn, the browser.

:func:`load_config` reads the stack file and libraries (the only paths the server ever opens come
from here); :func:`serve` runs uvicorn in the foreground (``ssbands web``); :func:`start_background`
runs it in a thread on a free port (tests, benchmarks, screenshots).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import tomllib
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, read_text_file
from .app import WebConfig, create_app
from .security import is_loopback

#: largest WebSocket message the server accepts, bytes (a stack is a few kB)
WS_MAX_BYTES = 2**20


def load_config(stack_file: str | Path | None = None, library_file: str | Path | None = None, *,
                screen_dir: str | Path | None = None, host: str = "127.0.0.1", ocv: float | None = None) -> WebConfig:
    """The server's settings from the command line's files.

    Parameters
    ----------
    stack_file : str or Path, optional
        The initial stack (TOML); default: the built-in Fuller 2021 thin-film cell.
    library_file : str or Path, optional
        User library YAML (replaces a stack file's own ``library`` key, as for ``ssbands band``).
    screen_dir : str or Path, optional
        A screen folder (``ssbands screen --out DIR``) for the explorer.
    host : str
        The address to listen on (decides whether only loopback Host headers are answered).
    ocv : float, optional
        Initial OCV, V.

    Returns
    -------
    WebConfig
    """
    from ..cell import Stack, fuller2021_stack
    from ..materials import load_library
    from .compute import stack_to_client

    lib = load_library(library_file) if library_file else None
    if stack_file is None:
        lib = lib or load_library()
        stack, title = fuller2021_stack(lib), "built-in Fuller 2021 cell"
    else:
        path = Path(stack_file)
        if lib is None:
            text = read_text_file(path, "stack file")
            try:
                lib_key = tomllib.loads(text).get("library")
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"stack file {str(path)!r} is not valid TOML: {exc}") from None
            lib = load_library((path.parent / lib_key) if lib_key else None)
        stack, title = Stack.from_toml(path, lib), path.name
    if screen_dir is not None and not Path(screen_dir).is_dir():
        raise InputError(f"screen folder {str(screen_dir)!r} does not exist")
    return WebConfig(library=lib, stack=stack_to_client(stack), ocv=ocv, title=title,
                     screen_dir=Path(screen_dir) if screen_dir else None, loopback=is_loopback(host))


def free_port(host: str = "127.0.0.1", preferred: int = 0, tries: int = 20) -> int:
    """``preferred`` or the next free port after it on ``host`` (0: a free port the OS picks).

    Parameters
    ----------
    host : str
    preferred : int
        Port to try first (0: any).
    tries : int
        Ports tried from ``preferred`` on before asking the OS for any free one.

    Returns
    -------
    int
    """
    candidates = [preferred + i for i in range(tries) if preferred + i <= 65535] if preferred else []
    for port in [*candidates, 0]:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise InputError(f"cannot listen on {host}: no free port")


def _uvicorn_config(config: WebConfig, host: str, port: int, log_level: str):
    import uvicorn

    return uvicorn.Config(create_app(config), host=host, port=port, log_level=log_level, ws="websockets-sansio",
                          ws_max_size=WS_MAX_BYTES, lifespan="off", access_log=False)


def serve(config: WebConfig, host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True,
          log_level: str = "warning") -> None:
    """Run the page server in the foreground until interrupted (Ctrl-C).

    Parameters
    ----------
    config : WebConfig
    host : str
        Address to listen on (loopback by default).
    port : int
        Port (the next free one is taken when it is busy; 0: any).
    open_browser : bool
        Open the page in the default browser once the server listens.
    log_level : str
        uvicorn's log level.
    """
    import uvicorn

    port = free_port(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    print(f"ssbands web: serving {config.title or 'the page'} at {url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    uvicorn.Server(_uvicorn_config(config, host, port, log_level)).run()


@dataclass
class BackgroundServer:
    """A page server running in a thread (see :func:`start_background`)."""

    url: str
    server: Any
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout)


def start_background(config: WebConfig, host: str = "127.0.0.1", timeout: float = 20.0) -> BackgroundServer:
    """Start the page server in a daemon thread on a free loopback port.

    Parameters
    ----------
    config : WebConfig
    host : str
        Address to listen on.
    timeout : float
        Seconds to wait for the server to listen.

    Returns
    -------
    BackgroundServer
        Its ``url`` and a ``stop()`` method.
    """
    import uvicorn

    port = free_port(host)
    server = uvicorn.Server(_uvicorn_config(config, host, port, "warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name="ssbands-web", daemon=True)
    thread.start()
    t0 = time.monotonic()
    while not server.started:
        if not thread.is_alive() or time.monotonic() - t0 > timeout:
            raise RuntimeError(f"the page server did not start on {host}:{port}")
        time.sleep(0.02)
    return BackgroundServer(f"http://{host}:{port}/", server, thread)
