"""BNB Smart Chain: RPC provider manager, deposit watcher, payout sender."""
