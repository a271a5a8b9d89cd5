"""Operations: backup export/import, metrics, worker heartbeat (delivery layer)."""
