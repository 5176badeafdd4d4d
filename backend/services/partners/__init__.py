"""Partners: banks as OAuth clients, villagers' consents, signed credit reports, the governance platform."""
