"""FSM state groups (SPEC §5.3)."""

from aiogram.fsm.state import State, StatesGroup


class Registration(StatesGroup):
    wallet = State()
    confirm_wallet_case = State()
    verify_finpass = State()
    contacts = State()


class Withdrawal(StatesGroup):
    amount = State()
    confirm = State()
    finpass = State()


class PreferenceStates(StatesGroup):
    contacts = State()


class Recovery(StatesGroup):
    note = State()
    confirm_new = State()


class Support(StatesGroup):
    category = State()
    compose = State()
    followup = State()


# States whose typed message is a secret (a financial password); their handlers delete it after
# reading, and a message dropped before reaching them (throttled, banned) is deleted by
# ``secrets_guard.forget_dropped_secret``.
SECRET_INPUT_STATES = frozenset(
    {
        Registration.verify_finpass.state,
        Withdrawal.finpass.state,
        Recovery.confirm_new.state,
    }
)


# ------------------------------------------------------------------------------------------- admin
class AdminLogin(StatesGroup):
    key = State()


SECRET_INPUT_STATES = SECRET_INPUT_STATES | {AdminLogin.key.state}  # the master key


class AdminAdmins(StatesGroup):
    telegram_id = State()  # Add: the new admin's Telegram id
    role = State()  # Add: the role picker (FSM data: ``adm_new_tg``)


class AdminUsers(StatesGroup):
    search = State()  # a search query
    ban_reason = State()  # FSM data: ``adm_ban_user``
    adjust_amount = State()  # FSM data: ``adm_adj_user``
    adjust_reason = State()  # + ``adm_adj_amount``
    adjust_confirm = State()  # + ``adm_adj_reason``, ``adm_adj_token``
    wallet = State()  # FSM data: ``adm_wal_user``
    wallet_confirm = State()  # + ``adm_wal_new``


class AdminBlacklist(StatesGroup):
    add = State()
    remove = State()


class AdminRewards(StatesGroup):
    """The create-session wizard. FSM data: ``adm_rs_name``, ``adm_rs_start``/``adm_rs_end`` (UTC ISO
    strings), ``adm_rs_rates`` (list of decimal strings)."""

    name = State()
    starts = State()
    ends = State()
    rates = State()
    confirm = State()  # the summary; Create is a button


# -------------------------------------------------------------------------------------- money desk
class DeskInput(StatesGroup):
    """Text an admin types on the money desk (reasons, notes, a user, a transaction hash)."""

    reject_reason = State()
    unmatched_user = State()
    unmatched_note = State()
    dlq_tx_hash = State()
    finpass_comment = State()
