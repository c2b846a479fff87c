"""The desk controller: queue ledger, dispatch rules, keypads, commands over MQTT."""
