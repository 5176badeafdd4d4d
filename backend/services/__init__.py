"""Use cases as verb_noun functions, one package per domain; each owns its transaction and never sees `request`.

Shared by every domain: access (who may see what), audit (the audit log), idempotency (the Idempotency-Key store),
paging (keyset pagination)."""
