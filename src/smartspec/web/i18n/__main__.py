"""``python -m smartspec.web.i18n extract|update|check`` (see :mod:`smartspec.web.i18n`)."""

from __future__ import annotations

import sys

from smartspec.web import i18n


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        from smartspec.web.i18n import HERE, _write

        _write(i18n.extract_catalogue(), HERE / "messages.pot", template=True)
        print(f"wrote {HERE / 'messages.pot'}")
        return 0
    if command == "update":
        for language, missing in i18n.update_catalogues().items():
            print(f"{language}: {missing} untranslated (falling back to English)")
        return 0
    if command == "check":
        stale = i18n.stale_messages()
        for message in stale:
            print(f"not in messages.pot: {message!r}")
        return 1 if stale else 0
    print("usage: python -m smartspec.web.i18n extract|update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
