"""The permission matrix (SPEC §5.7.2, §5.9) that cannot go stale.

It walks every handler registered under the running bot's admin router (commands, callback routes,
input states), drives each one through the real bot and checks that it is refused as §5.7 says:
(a) a registered non-admin gets exactly what a non-existent command/button/input gets;
(b) an admin without a live session gets the login prompt (the login handlers themselves excepted);
(c) an admin of each lower role gets "insufficient rights".
Forged callback data carry ids of rows that exist, so a broken gate would really act. No money table
(nor the audit log, nor the admins) changes. A handler without a role flag, or with a filter this test
cannot drive, fails the test: a new admin handler is covered the moment it is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext

from sigmatrade import clock
from sigmatrade.bot.admin_flow import LOGIN, ROLE, ROLES, AdmRoute
from sigmatrade.domain.enums import ROLE_RANK, AdminRole
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import admin_client, alert, row_counts
from tests.factories import credit, make_user

# The only handlers that run without a live session (they are the login).
LOGIN_HANDLERS = {"cmd_admin", "key_entered"}
GHOST_STATE = "Ghost:state"  # a state no router knows: what "a non-existent input" gets
TEXT = "12345"


@dataclass(frozen=True)
class Drive:
    """One way to reach a handler: a message (``text``) or a button (``data``), in ``state``."""

    name: str
    role: AdminRole
    login: bool
    state: str | None
    text: str | None = None
    data: str | None = None

    def __str__(self) -> str:
        return f"{self.name}[{self.text or self.data} in {self.state}]"


def _admin_router(h: Harness) -> Router:
    assert h.app is not None and h.app.dp is not None
    found = [r for r in h.app.dp.sub_routers if r.name == "admin"]
    assert len(found) == 1, "exactly one admin router under the dispatcher"
    return found[0]


def _walk(router: Router) -> list[Router]:
    out = [router]
    for sub in router.sub_routers:
        out.extend(_walk(sub))
    return out


def _drives(handler: HandlerObject, kind: str) -> list[Drive]:
    name = getattr(handler.callback, "__name__", repr(handler.callback))
    role = handler.flags.get(ROLE)
    assert role in ROLES, f"admin handler {name} has no role flag (flags={handler.flags})"
    login = bool(handler.flags.get(LOGIN, False))
    commands: list[str] = []
    states: list[str | None] = []
    datas: list[str] = []
    for f in handler.filters or []:
        cb = f.callback
        if isinstance(cb, Command):
            commands.extend(f"/{c}" for c in cb.commands if isinstance(c, str))
        elif isinstance(cb, StateFilter):
            states.extend(s if isinstance(s, str) or s is None else s.state for s in cb.states)  # type: ignore[union-attr]
        elif isinstance(cb, AdmRoute):
            datas.extend(cb.examples())
        else:
            raise AssertionError(f"admin handler {name}: the matrix cannot drive filter {cb!r}; teach it")
    states = states or [None]
    if kind == "message":
        texts = commands or [TEXT]
        assert commands or states != [None], f"admin message handler {name} has no command and no state"
        return [Drive(name, AdminRole(role), login, s, text=t) for s in states for t in texts]
    assert datas, f"admin callback handler {name} has no AdmRoute"
    return [Drive(name, AdminRole(role), login, s, data=d) for s in states for d in datas]


def enumerate_drives(h: Harness) -> list[Drive]:
    drives: list[Drive] = []
    for router in _walk(_admin_router(h)):
        for kind in ("message", "callback_query"):
            for handler in router.observers[kind].handlers:
                drives.extend(_drives(handler, kind))
    return drives


def _fsm(h: Harness, tg: int) -> FSMContext:
    assert h.app is not None and h.app.dp is not None and h.app.bot is not None
    return h.app.dp.fsm.get_context(h.app.bot, tg, tg)


async def _run(h: Harness, client: UserClient, drive: Drive, *, state: str | None = None) -> Exchange:
    """Drive with the client's FSM state set first (``state`` overrides the drive's own)."""
    clock.travel(timedelta(seconds=3))  # past the double-tap guard and the per-minute throttle
    await _fsm(h, client.id).set_state(state if state is not None else drive.state)
    if drive.data is not None:
        return await client.press_data(drive.data)
    assert drive.text is not None
    return await client.send(drive.text)


def _shown(ex: Exchange) -> list[tuple[str, object]]:
    return [(m.body, m.reply_markup) for m in ex.screens]


async def test_every_admin_handler_is_refused_without_the_right_admin(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=5001, language="en")
        await credit(session, user, "100")
        for n in range(2, 4):
            await make_user(session, telegram_id=5000 + n, language="en")
    plain = h.user(5001, "Plain", language_code="en")
    asleep = await admin_client(h, 5101, role=AdminRole.SUPER_ADMIN, logged_in=False)
    lower = {
        AdminRole.ADMIN: await admin_client(h, 5201, role=AdminRole.ADMIN),
        AdminRole.EXTENDED_ADMIN: await admin_client(h, 5202, role=AdminRole.EXTENDED_ADMIN),
    }
    drives = enumerate_drives(h)
    assert {d.name for d in drives} >= {"cmd_admin", "key_entered", "open_panel"}
    assert {d.name for d in drives if d.login} == LOGIN_HANDLERS
    before = await row_counts(h)

    # What a non-existent command, input and button get.
    missing_command = await _run(h, plain, Drive("-", AdminRole.ADMIN, False, None, text="/nosuchcommand"))
    missing_input = await _run(h, plain, Drive("-", AdminRole.ADMIN, False, GHOST_STATE, text=TEXT))
    missing_button = await _run(h, plain, Drive("-", AdminRole.ADMIN, False, None, data="nosuch:1"))
    assert missing_button.answer is not None and missing_button.screens == []

    checked = 0
    for drive in drives:
        # (a) a registered non-admin: indistinguishable from a missing feature.
        ex = await _run(h, plain, drive)
        if drive.data is not None:
            assert alert(ex) == alert(missing_button) and ex.screens == [], f"(a) {drive}"
        elif drive.state is None:
            assert _shown(ex) == _shown(missing_command), f"(a) {drive}"
        else:
            assert _shown(ex) == _shown(missing_input), f"(a) {drive}"
        # (b) an admin without a live session: the login prompt, nothing else.
        if not drive.login:
            ex = await _run(h, asleep, drive)
            assert "Send your master key" in ex.text and len(ex.screens) == 1, f"(b) {drive}: {ex.text!r}"
            if drive.data is not None:
                assert ex.answer is not None and "Log in" in ex.answer["text"], f"(b) {drive}"
        # (c) every lower role: insufficient rights.
        for role, client in lower.items():
            if ROLE_RANK[role] >= ROLE_RANK[drive.role]:
                continue
            ex = await _run(h, client, drive)
            if drive.data is not None:
                assert ex.answer is not None and "Insufficient rights" in ex.answer["text"], (
                    f"(c) {role} {drive}"
                )
                assert ex.screens == [], f"(c) {role} {drive}"
            else:
                assert [m.body for m in ex.screens] == ["⛔ Insufficient rights for this action."], (
                    f"(c) {drive}"
                )
        checked += 1
        assert await row_counts(h) == before, f"{drive} changed money tables"
    assert checked == len(drives)


async def test_a_handler_without_a_role_flag_is_refused_at_run_time(harness: Harness) -> None:
    """The gate itself refuses a handler that declares no role (the matrix test also fails on it)."""
    h = harness
    admin_router = _admin_router(h)
    rogue = Router(name="admin.rogue")

    async def rogue_handler(*_: object, **__: object) -> None:
        raise AssertionError("a handler without a role flag ran")

    rogue.message.register(rogue_handler, Command("rogue"))
    admin_router.include_router(rogue)
    try:
        client = await admin_client(h, 5301)
        ex = await client.send("/rogue")
        assert ex.text == "⛔ Insufficient rights for this action."
        try:
            enumerate_drives(h)
        except AssertionError as exc:
            assert "no role flag" in str(exc)
        else:
            raise AssertionError("the matrix accepted a handler without a role flag")
    finally:
        admin_router.sub_routers.remove(rogue)


async def test_panel_buttons_match_the_role_of_the_screen_they_open(harness: Harness) -> None:
    """A panel button is shown to exactly the roles its screen's entry handler admits."""
    from sigmatrade.bot.callbacks import Adm
    from sigmatrade.bot.routers import registry

    entry_roles: dict[str, AdminRole] = {}
    for router in _walk(_admin_router(harness)):
        for handler in router.observers["callback_query"].handlers:
            filters = [f.callback for f in handler.filters or []]
            if any(isinstance(f, StateFilter) for f in filters):
                continue
            for f in filters:
                if isinstance(f, AdmRoute) and (not f.acts or "" in f.acts):
                    entry_roles[f.sec] = AdminRole(handler.flags[ROLE])
    buttons = registry.admin_panel_buttons()
    assert buttons, "no panel buttons"
    for button in buttons:
        assert button.sec in entry_roles, (
            f"panel button {button.sec!r} opens no screen ({Adm(sec=button.sec).pack()})"
        )
        assert entry_roles[button.sec] == button.role, (
            f"panel button {button.sec!r}: role differs from its screen"
        )
