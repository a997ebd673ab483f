"""`python -m bench.probe PATH`: the app headless, printing `ready` at its first frame with rows.

The harness times the process from its launch to that line, so start-up, imports,
reading the scope and the first paint are all in the figure.
"""

from __future__ import annotations

import asyncio
import sys

from axon_scopes.tui.app import make_app


async def main(path: str) -> None:
    app = make_app(path, watch=False, age_refresh=None)
    run = asyncio.create_task(app.run_async(headless=True, size=(120, 36)))
    while not run.done():
        await asyncio.sleep(0.001)
        if app.is_running and app.screen.is_mounted and app.browser.table.row_count:
            app.call_after_refresh(lambda: (print("ready", flush=True), app.exit()))
            break
    await run


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
