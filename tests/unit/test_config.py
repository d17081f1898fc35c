from __future__ import annotations

import pytest

from sigmatrade.config import ConfigError, load_config


def test_defaults() -> None:
    s = load_config(_env_file=None)
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.chain_id == 56 and s.confirmation_blocks == 12
    assert s.usdt_contract_address == "0x55d398326f99059fF775485246999027B3197955"
    assert s.reorg_rewind_blocks == 30
    assert s.rpc_limits == (20, 100, 500)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"super_admin_ids": "12,abc"}, "SUPER_ADMIN_IDS"),
        ({"chain_id": "x"}, "CHAIN_ID"),
        ({"bot_token": "no-colon"}, "BOT_TOKEN"),
        ({"webhook_url": "https://example.org"}, "WEBHOOK_SECRET"),
        ({"system_wallet_address": "0x1234"}, "SYSTEM_WALLET_ADDRESS"),
        ({"environment": "production"}, "ENCRYPTION_KEY"),
        ({"encryption_key": "bm90LWEta2V5"}, "ENCRYPTION_KEY"),
        ({"display_timezone": "Mars/Base"}, "DISPLAY_TIMEZONE"),
    ],
)
def test_bad_values_name_the_variable(overrides: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_env_file=None, **overrides)
    message = str(err.value)
    assert variable in message and "\n" not in message


def test_missing_token_is_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_env_file=None).require_bot_token()
    assert str(err.value).startswith("configuration error: BOT_TOKEN") and "\n" not in str(err.value)


def test_lists_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPER_ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("BSC_RPC_URLS", "https://a.example/x, https://b.example")
    s = load_config(_env_file=None)
    assert s.super_admin_ids == [1, 2, 3]
    assert s.bsc_rpc_urls == ["https://a.example/x", "https://b.example"]
