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


SENSITIVE_STATES = frozenset(
    {
        Registration.wallet.state,
        Registration.confirm_wallet_case.state,
        Registration.verify_finpass.state,
        Registration.contacts.state,
        Withdrawal.finpass.state,
        PreferenceStates.contacts.state,
        Recovery.confirm_new.state,
    }
)


# ------------------------------------------------------------------------------------------- admin
class AdminLogin(StatesGroup):
    key = State()


SENSITIVE_STATES = SENSITIVE_STATES | {AdminLogin.key.state}


# -------------------------------------------------------------------------------------- money desk
class DeskInput(StatesGroup):
    """Text an admin types on the money desk (reasons, notes, a user, a transaction hash)."""

    reject_reason = State()
    unmatched_user = State()
    unmatched_note = State()
    dlq_tx_hash = State()
    finpass_comment = State()
