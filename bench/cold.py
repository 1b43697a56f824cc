"""One poster in a fresh process, as `workshop export` does: import, app, fonts, render."""

import time

START = time.perf_counter()


def main() -> None:
    """Render one A3 poster and print how long each stage took, as JSON."""
    import json
    import sys
    import tempfile

    import weasyprint  # noqa: F401 - counted as start-up, as in a real export

    from workshop import create_app
    from workshop.poster import render_poster

    from .samples import TYPICAL

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE": f"{folder}/bench.db", "SECRET_KEY": "bench"})
        ready = time.perf_counter()
        with app.app_context():
            pdf = render_poster(TYPICAL)
    done = time.perf_counter()
    json.dump({"start": ready - START, "render": done - ready, "bytes": len(pdf)}, sys.stdout)


if __name__ == "__main__":
    main()
