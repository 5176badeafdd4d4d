"""Partner shops: the catalogue and funding, pay codes, redemption, settlement, who may spend."""
